// The reviewer scorecard: mounts into <section id="scorecard-root" data-session="...">.
// One's own scorecard (a rating 1-4 per criterion and notes): saved as a draft, then submitted
// (final). The others' submitted scorecards appear once one's own is submitted (the server
// refuses them before: 403).

interface Scorecard {
  session_id: string;
  user_id: string;
  author: string;
  ratings: Record<string, number>;
  notes: string;
  updated_at: string | null;
  submitted_at: string | null;
  submitted: boolean;
}

interface ScorecardList {
  criteria: string[];
  items: Scorecard[];
}

const CRITERIA: ReadonlyArray<[string, string]> = [
  ["problem_solving", "Problem solving"],
  ["code_quality", "Code quality"],
  ["communication", "Communication"],
  ["testing", "Testing"],
];
const SCALE: ReadonlyArray<[number, string]> = [
  [1, "Strong no"],
  [2, "No"],
  [3, "Yes"],
  [4, "Strong yes"],
];

let csrf = "";

async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const token = response.headers.get("X-CSRF-Token");
  if (token) csrf = token;
  const data = await response.json();
  if (!response.ok) throw new Error(data?.error?.message ?? `HTTP ${response.status}`);
  return data as T;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function label(criterion: string): string {
  return CRITERIA.find(([key]) => key === criterion)?.[1] ?? criterion;
}

function ratingsForm(card: Scorecard): HTMLFieldSetElement[] {
  return CRITERIA.map(([key, name]) => {
    const set = el("fieldset", { className: "scorecard-criterion" }, el("legend", {}, name));
    for (const [value, text] of SCALE) {
      const input = el("input", {
        type: "radio",
        name: key,
        value: String(value),
        checked: card.ratings[key] === value,
        disabled: card.submitted,
      });
      set.append(el("label", {}, input, ` ${value} · ${text}`));
    }
    return set;
  });
}

function readRatings(form: HTMLFormElement): Record<string, number> {
  const ratings: Record<string, number> = {};
  for (const [key] of CRITERIA) {
    const checked = form.querySelector<HTMLInputElement>(`input[name="${key}"]:checked`);
    if (checked) ratings[key] = Number(checked.value);
  }
  return ratings;
}

function othersView(list: ScorecardList, me: string): HTMLElement {
  const section = el("section", { className: "scorecard-others" }, el("h3", {}, "Submitted scorecards"));
  for (const card of list.items) {
    const rows = list.criteria.map((key) =>
      el("tr", {}, el("th", { scope: "row" }, label(key)), el("td", {}, String(card.ratings[key] ?? "–"))),
    );
    section.append(
      el(
        "article",
        { className: "scorecard-card" },
        el("h4", {}, card.user_id === me ? `${card.author} (you)` : card.author),
        el("table", {}, el("tbody", {}, ...rows)),
        el("p", { className: "scorecard-notes" }, card.notes),
      ),
    );
  }
  return section;
}

async function render(root: HTMLElement, base: string): Promise<void> {
  const card = await call<Scorecard>("GET", `${base}/mine`);
  const status = el("p", { className: "scorecard-status", role: "status" });
  status.setAttribute("aria-live", "polite");
  const notes = el("textarea", { name: "notes", value: card.notes, disabled: card.submitted, rows: 6 });
  notes.setAttribute("aria-label", "Notes");
  const save = el("button", { type: "submit", textContent: "Save draft", disabled: card.submitted });
  const submit = el("button", { type: "button", textContent: "Submit", disabled: card.submitted });
  save.name = "save";
  submit.name = "submit";
  const form = el(
    "form",
    { className: "scorecard-form" },
    ...ratingsForm(card),
    el("label", {}, "Notes", notes),
    el("div", { className: "scorecard-actions" }, save, submit),
    status,
  );
  const draft = (): { ratings: Record<string, number>; notes: string } => ({
    ratings: readRatings(form),
    notes: notes.value,
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    call<Scorecard>("PUT", `${base}/mine`, draft())
      .then(() => {
        status.textContent = "Draft saved.";
      })
      .catch((error: Error) => {
        status.textContent = error.message;
      });
  });
  submit.addEventListener("click", () => {
    if (!window.confirm("Submit your scorecard? It cannot be changed afterwards.")) return;
    call<Scorecard>("PUT", `${base}/mine`, draft())
      .then(() => call<Scorecard>("POST", `${base}/mine/submit`))
      .then(() => render(root, base))
      .catch((error: Error) => {
        status.textContent = error.message;
      });
  });
  const heading = el("h2", {}, card.submitted ? "Your scorecard (submitted)" : "Your scorecard");
  const children: Node[] = [heading, form];
  if (card.submitted) {
    children.push(othersView(await call<ScorecardList>("GET", base), card.user_id));
  } else {
    children.push(el("p", { className: "scorecard-hint" }, "The others' scorecards appear once you submit yours."));
  }
  root.replaceChildren(...children);
}

const root = document.querySelector<HTMLElement>("#scorecard-root");
if (root?.dataset.session) {
  const base = `/s/${encodeURIComponent(root.dataset.session)}/scorecards`;
  render(root, base).catch((error: Error) => {
    root.replaceChildren(el("p", { className: "scorecard-error", role: "alert" }, error.message));
  });
}
