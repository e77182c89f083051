// The participants list, fed by awareness: who is here, their role, the file they look at.

import type { Awareness } from "y-protocols/awareness";

interface Person {
  participant: string;
  name: string;
  role: string;
  color: string;
  file: string;
  self: boolean;
}

export function renderParticipants(awareness: Awareness, list: HTMLElement): void {
  const people = new Map<string, Person>();
  for (const [clientId, state] of awareness.getStates()) {
    const user = (state as { user?: Record<string, string> }).user;
    if (!user) continue;
    const key = user.participant ?? String(clientId);
    people.set(key, {
      participant: key,
      name: user.name ?? "?",
      role: user.role ?? "",
      color: user.color ?? "#888",
      file: (state as { file?: string }).file ?? "",
      self: clientId === awareness.clientID,
    });
  }
  const items = [...people.values()].sort((a, b) => Number(b.self) - Number(a.self) || a.name.localeCompare(b.name));
  list.replaceChildren(
    ...items.map((person) => {
      const item = document.createElement("li");
      item.dataset.participant = person.participant;
      item.dataset.role = person.role;
      const dot = document.createElement("span");
      dot.className = "dot";
      dot.style.background = person.color;
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = person.self ? `${person.name} (you)` : person.name;
      const detail = document.createElement("span");
      detail.className = "muted small";
      detail.textContent = person.file ? `${person.role} · ${person.file}` : person.role;
      item.append(dot, name, detail);
      return item;
    }),
  );
}
