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

export interface Composer {
  form: HTMLFormElement;
  input: HTMLTextAreaElement;
  button: HTMLButtonElement;
  problem: HTMLParagraphElement;
  /** Show a problem under the form (null: clear it). */
  fail(message: string | null): void;
}

/** A message box: a form with a textarea (Enter sends, Shift+Enter starts a new line), its button
 * and the place its problems show. `send` returns false when the text could not go out. */
export function composer(options: {
  formLabel: string;
  inputLabel: string;
  placeholder: string;
  button: string;
  maxChars: number;
  offline: string;
  send: (text: string) => boolean;
}): Composer {
  const form = element("form", { class: "pane-form", "aria-label": options.formLabel });
  const input = element("textarea", {
    rows: "2",
    maxlength: String(options.maxChars),
    "aria-label": options.inputLabel,
    placeholder: options.placeholder,
  });
  const button = element("button", { type: "submit", class: "small" }, options.button);
  const problem = element("p", { class: "flash error small", role: "alert", hidden: "" });
  form.append(input, button);
  const fail = (message: string | null): void => {
    problem.hidden = message === null;
    problem.textContent = message ?? "";
  };
  const submit = (): void => {
    const text = input.value.trim();
    if (!text) return;
    if (!options.send(text)) {
      fail(options.offline);
      return;
    }
    fail(null);
    input.value = "";
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  return { form, input, button, problem, fail };
}
