// Small helpers to build the pad's panes.

export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  text = "",
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

/** "14:05", the server time ``ts`` (ms) in the reader's clock. */
export function clock(ts: number): HTMLTimeElement {
  const at = new Date(ts);
  const time = element("time", { datetime: at.toISOString(), title: at.toLocaleString() });
  time.textContent = at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return time;
}

/** Whether the reader is looking at the page now (it is in front and has the focus). */
export function watched(): boolean {
  return !document.hidden && document.hasFocus();
}
