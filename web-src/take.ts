// The candidate's assessment page (/take/{token}): intro and rules, start, a visible timer, each
// challenge (code in the pad's editor over the attempt's recorded session, or a Q&A form), the
// sample-test console, submit, thank you. Work is saved as it is written; reopening continues.

import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";
import { ControlChannel } from "./pad/control";
import { PadEditor } from "./pad/editor";
import { SharedFiles } from "./pad/files";
import { sendSignals } from "./pad/signals";

interface Summary {
  id: string;
  title: string;
  type: "code" | "qa";
  languages: string[];
  time_limit_minutes: number | null;
}

interface Attempt {
  name: string;
  title: string;
  description: string;
  state: "invited" | "opened" | "started" | "submitted" | "expired";
  time_limit_minutes: number;
  window_start: string | null;
  deadline: string | null;
  now: string;
  session_id: string | null;
  pad_token: string | null;
  challenges: Summary[];
}

interface CandidateFile {
  path: string;
  content: string;
  access: "editable" | "read-only";
}

interface Question {
  id: string;
  kind: "single" | "multiple" | "text" | "code";
  prompt: string;
  points: number;
  choices: { id: string; text: string }[];
  language: string | null;
}

interface ChallengeView {
  id: string;
  title: string;
  type: "code" | "qa";
  instructions: string;
  language: string | null;
  files: CandidateFile[];
  sample_cases: { name: string; stdin: string; expected: string }[];
  questions: Question[];
}

interface Saved {
  language: string | null;
  files: Record<string, string>;
  answers: Record<string, { choices: string[]; text: string }>;
}

const SAVE_DELAY_MS = 600;

const root = document.getElementById("take") as HTMLElement;
const token = root.dataset.token ?? "";
const base = `/take/${token}`;
let attempt = JSON.parse((document.getElementById("take-attempt") as HTMLElement).textContent ?? "{}") as Attempt;
let clockSkew = 0; // server time - local time, ms
let timer: number | undefined;
let partTimer: number | undefined;
let doc: Y.Doc | null = null;
let shared: SharedFiles | null = null;
let provider: WebsocketProvider | null = null;
let channel: ControlChannel | null = null;
let editor: PadEditor | null = null;
let stopObserving: (() => void) | null = null;
const pending = new Map<string, number>(); // challenge id -> save timer

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> & { dataset?: Record<string, string> } = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  const { dataset, ...rest } = props;
  Object.assign(element, rest);
  if (dataset) Object.assign(element.dataset, dataset);
  element.append(...children);
  return element;
}

async function call<T>(method: string, tail: string, body?: unknown): Promise<T> {
  const response = await fetch(base + tail, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  const data = (await response.json()) as T & { error?: { message: string; details?: { reason?: string } } };
  if (!response.ok) {
    const reason = data.error?.details?.reason ?? "";
    if (reason === "submitted" || reason === "time_up") {
      await refresh();
    }
    throw new Error(data.error?.message ?? `HTTP ${response.status}`);
  }
  return data;
}

function announce(message: string): void {
  const status = document.getElementById("take-status");
  if (status) status.textContent = message;
}

async function refresh(): Promise<void> {
  attempt = await call<Attempt>("GET", "/attempt");
  render();
}

function render(): void {
  clockSkew = Date.parse(attempt.now) - Date.now();
  if (attempt.state === "started" && attempt.session_id === null) {
    // another tab's start is still making the attempt's session: ask again shortly
    window.setTimeout(() => void refresh(), 1000);
  } else if (attempt.state === "started") {
    renderWork();
  } else if (attempt.state === "submitted") {
    renderThanks();
  } else if (attempt.state === "expired") {
    renderMessage("This invitation has expired", "Ask the person who invited you for a new link.");
  } else {
    renderIntro();
  }
}

function heading(text: string): HTMLHeadingElement {
  const h1 = el("h1", { tabIndex: -1, id: "take-heading" }, text);
  return h1;
}

function focusHeading(): void {
  document.getElementById("take-heading")?.focus();
}

function renderMessage(title: string, text: string): void {
  teardown();
  root.replaceChildren(el("section", { className: "card narrow" }, heading(title), el("p", {}, text)));
  focusHeading();
}

function renderIntro(): void {
  const rules = el(
    "ul",
    {},
    el(
      "li",
      {},
      `You have ${attempt.time_limit_minutes} minutes from the moment you start. A timer shows what is left.`,
    ),
    el("li", {}, `There are ${attempt.challenges.length} parts: ${attempt.challenges.map((c) => c.title).join(", ")}.`),
    el("li", {}, "Your work is saved as you type: closing the tab loses nothing, and the link brings you back."),
    el("li", {}, "When the time is up, your work is submitted as it is."),
    el("li", {}, "In the code editor, Tab indents; press Escape, then Tab, to move on with the keyboard."),
    el("li", {}, "The attempt is recorded, including pastes and leaving the window, for the reviewers."),
  );
  const start = el("button", { type: "button", className: "primary", id: "take-start" }, "Start the assessment");
  const error = el("p", { className: "flash error", role: "alert", hidden: true });
  start.addEventListener("click", async () => {
    start.disabled = true;
    try {
      attempt = await call<Attempt>("POST", "/start");
      render();
    } catch (problem) {
      error.hidden = false;
      error.textContent = (problem as Error).message;
      start.disabled = false;
    }
  });
  root.replaceChildren(
    el(
      "section",
      { className: "card narrow" },
      heading(attempt.title),
      el("p", {}, `Hello ${attempt.name}.`),
      ...(attempt.description ? [el("p", {}, attempt.description)] : []),
      el("h2", {}, "Before you start"),
      rules,
      error,
      start,
    ),
  );
  focusHeading();
}

function renderThanks(): void {
  teardown();
  root.replaceChildren(
    el(
      "section",
      { className: "card narrow", id: "take-thanks" },
      heading("Thank you"),
      el("p", {}, `${attempt.name}, your work on “${attempt.title}” was submitted. You can close this page.`),
    ),
  );
  focusHeading();
}

function teardown(): void {
  if (timer !== undefined) window.clearInterval(timer);
  timer = undefined;
  window.clearInterval(partTimer);
  partTimer = undefined;
  stopObserving?.();
  stopObserving = null;
  editor?.view.destroy();
  editor = null;
  provider?.destroy();
  provider = null;
  doc = null;
  shared = null;
}

function connectSession(): void {
  if (provider !== null || attempt.session_id === null || attempt.pad_token === null) return;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  doc = new Y.Doc();
  shared = new SharedFiles(doc);
  provider = new WebsocketProvider(`${scheme}//${location.host}/sync`, attempt.session_id, doc, {
    params: { token: attempt.pad_token },
  });
  provider.awareness.setLocalStateField("user", { name: attempt.name, role: "candidate" });
  channel = new ControlChannel(
    `${scheme}//${location.host}/sessions/${attempt.session_id}/events?token=${encodeURIComponent(attempt.pad_token)}`,
  );
  channel.start();
}

function startTimer(display: HTMLElement): void {
  const deadline = Date.parse(attempt.deadline ?? "");
  let warned = false;
  const tick = (): void => {
    const left = Math.max(0, deadline - (Date.now() + clockSkew));
    const minutes = Math.floor(left / 60000);
    const seconds = Math.floor((left % 60000) / 1000);
    display.textContent = `${minutes}:${String(seconds).padStart(2, "0")}`;
    if (!warned && left <= 5 * 60000 && left > 0) {
      warned = true;
      announce("Five minutes left.");
    }
    if (left <= 0) {
      window.clearInterval(timer);
      timer = undefined;
      void flushSaves().finally(() => void refresh());
    }
  };
  tick();
  timer = window.setInterval(tick, 1000);
}

function renderWork(): void {
  teardown();
  connectSession();
  const time = el("span", { id: "take-time" });
  const timerBox = el("p", { className: "take-timer", role: "timer", ariaLabel: "Time left" }, "Time left: ", time);
  const nav = el("nav", { ariaLabel: "Parts of the assessment" });
  const list = el("ol", { className: "take-parts" });
  nav.append(list);
  const panel = el("section", { id: "take-panel" });
  panel.setAttribute("aria-labelledby", "take-part-title");
  const status = el("p", { id: "take-status", role: "status", className: "muted small" });
  const submit = el("button", { type: "button", id: "take-submit" }, "Submit the assessment");
  const confirm = el(
    "div",
    { id: "take-confirm", hidden: true, role: "group", ariaLabel: "Confirm submission" },
    el("p", {}, "Submit now? You cannot change your work afterwards."),
  );
  const yes = el("button", { type: "button", className: "primary", id: "take-submit-yes" }, "Yes, submit now");
  const no = el("button", { type: "button", id: "take-submit-no" }, "Keep working");
  confirm.append(yes, no);
  submit.addEventListener("click", () => {
    confirm.hidden = false;
    yes.focus();
  });
  no.addEventListener("click", () => {
    confirm.hidden = true;
    submit.focus();
  });
  yes.addEventListener("click", async () => {
    yes.disabled = true;
    await flushSaves();
    attempt = await call<Attempt>("POST", "/submit");
    render();
  });
  for (const [index, challenge] of attempt.challenges.entries()) {
    const button = el(
      "button",
      { type: "button", dataset: { challenge: challenge.id } },
      `${index + 1}. ${challenge.title}`,
    );
    button.addEventListener("click", () => void openChallenge(challenge, panel, list));
    list.append(el("li", {}, button));
  }
  root.replaceChildren(
    el(
      "div",
      { className: "take-work" },
      el("header", { className: "take-head" }, heading(attempt.title), timerBox),
      nav,
      panel,
      status,
      submit,
      confirm,
    ),
  );
  startTimer(time);
  const first = attempt.challenges[0];
  if (first) void openChallenge(first, panel, list);
}

async function openChallenge(
  summary: Summary,
  panel: HTMLElement,
  list: HTMLElement,
  language: string | null = null,
): Promise<void> {
  await flushSaves();
  for (const button of list.querySelectorAll<HTMLButtonElement>("button")) {
    if (button.dataset.challenge === summary.id) button.setAttribute("aria-current", "step");
    else button.removeAttribute("aria-current");
  }
  const query = language === null ? "" : `?language=${encodeURIComponent(language)}`;
  const { challenge, saved, deadline } = await call<{
    challenge: ChallengeView;
    saved: Saved | null;
    deadline: string | null;
  }>("GET", `/challenges/${summary.id}${query}`);
  stopObserving?.();
  stopObserving = null;
  editor?.view.destroy();
  editor = null;
  const title = el("h2", { id: "take-part-title", tabIndex: -1 }, challenge.title);
  const instructions = el("div", { className: "take-instructions" }, el("pre", {}, challenge.instructions));
  panel.replaceChildren(title, instructions);
  window.clearInterval(partTimer);
  partTimer = undefined;
  if (deadline !== null) {
    // this part has a time limit of its own, running since it was first opened
    const left = el("span", { id: "take-part-time" });
    panel.append(
      el(
        "p",
        { className: "take-timer", role: "timer", ariaLabel: "Time left for this part" },
        "Time left for this part: ",
        left,
      ),
    );
    const end = Date.parse(deadline);
    const tick = (): void => {
      const ms = Math.max(0, end - (Date.now() + clockSkew));
      left.textContent = `${Math.floor(ms / 60000)}:${String(Math.floor((ms % 60000) / 1000)).padStart(2, "0")}`;
      if (ms <= 0) {
        window.clearInterval(partTimer);
        partTimer = undefined;
        void flushSaves().finally(() => {
          stopObserving?.();
          stopObserving = null;
          editor?.view.destroy();
          editor = null;
          panel.replaceChildren(
            el("h2", { id: "take-part-title", tabIndex: -1 }, challenge.title),
            el(
              "p",
              { role: "alert" },
              "The time for this part is up. What you saved counts; go on with the next part.",
            ),
          );
        });
      }
    };
    tick();
    partTimer = window.setInterval(tick, 1000);
  }
  if (summary.languages.length > 1) {
    // the candidate picks the language, per challenge; each language keeps its own files
    const picker = el("select", { id: "take-language" });
    for (const option of summary.languages)
      picker.append(new Option(option, option, false, option === challenge.language));
    picker.addEventListener("change", () => void openChallenge(summary, panel, list, picker.value));
    panel.append(el("label", { className: "take-language" }, "Language ", picker));
  }
  if (challenge.type === "qa") mountQuestions(panel, challenge, saved);
  else await mountCode(panel, challenge, saved, summary.languages.length > 1);
  title.focus();
}

function scheduleSave(challengeId: string, save: () => Promise<void>): void {
  window.clearTimeout(pending.get(challengeId));
  pending.set(
    challengeId,
    window.setTimeout(() => {
      pending.delete(challengeId);
      void save()
        .then(() => announce("All changes saved."))
        .catch((problem: Error) => announce(`Not saved: ${problem.message}`));
    }, SAVE_DELAY_MS),
  );
  savers.set(challengeId, save);
}

const savers = new Map<string, () => Promise<void>>();

async function flushSaves(): Promise<void> {
  const waiting = [...pending.keys()];
  for (const id of waiting) {
    window.clearTimeout(pending.get(id));
    pending.delete(id);
    await savers
      .get(id)?.()
      .catch(() => undefined);
  }
}

function mountQuestions(panel: HTMLElement, challenge: ChallengeView, saved: Saved | null): void {
  const form = el("form", { id: "take-questions" });
  const answers: Record<string, { choices: string[]; text: string }> = { ...(saved?.answers ?? {}) };
  const save = async (): Promise<void> => {
    await call("PUT", `/challenges/${challenge.id}/work`, { answers });
  };
  for (const [index, question] of challenge.questions.entries()) {
    const fieldset = el("fieldset", { className: "take-question" });
    const legend = el("legend", {}, `${index + 1}. ${question.prompt}`);
    fieldset.append(legend);
    const previous = answers[question.id] ?? { choices: [], text: "" };
    if (question.kind === "single" || question.kind === "multiple") {
      for (const choice of question.choices) {
        const input = el("input", {
          type: question.kind === "single" ? "radio" : "checkbox",
          name: `q-${question.id}`,
          value: choice.id,
          checked: previous.choices.includes(choice.id),
        });
        input.addEventListener("change", () => {
          const picked = [...fieldset.querySelectorAll<HTMLInputElement>("input:checked")].map((i) => i.value);
          answers[question.id] = { choices: picked, text: "" };
          scheduleSave(challenge.id, save);
        });
        fieldset.append(el("label", { className: "take-choice" }, input, ` ${choice.text}`));
      }
    } else {
      const id = `q-${question.id}`;
      const area = el("textarea", { id, rows: question.kind === "code" ? 10 : 4, value: previous.text });
      area.setAttribute("aria-labelledby", `${id}-label`);
      legend.id = `${id}-label`;
      if (question.kind === "code") area.spellcheck = false;
      area.addEventListener("input", () => {
        answers[question.id] = { choices: [], text: area.value };
        scheduleSave(challenge.id, save);
      });
      fieldset.append(area);
    }
    form.append(fieldset);
  }
  form.addEventListener("submit", (event) => event.preventDefault());
  panel.append(form);
}

async function whenSynced(): Promise<void> {
  if (provider === null || provider.synced) return;
  const current = provider;
  await new Promise<void>((resolve) => current.once("sync", () => resolve()));
}

async function mountCode(
  panel: HTMLElement,
  challenge: ChallengeView,
  saved: Saved | null,
  perLanguage: boolean,
): Promise<void> {
  const language = challenge.language ?? "plaintext";
  const prefix = perLanguage ? `${challenge.id}/${language}/` : `${challenge.id}/`;
  await whenSynced();
  const files = shared;
  const ydoc = doc;
  if (files === null || ydoc === null) {
    panel.append(
      el("p", { className: "flash error", role: "alert" }, "The editor could not connect. Reload the page."),
    );
    return;
  }
  // first visit: the starter (or what was saved) goes into the recorded document
  if (!files.paths().some((path) => path.startsWith(prefix))) {
    const mine = saved !== null && saved.language === language ? saved.files : null;
    const initial = mine ?? Object.fromEntries(challenge.files.map((f) => [f.path, f.content]));
    ydoc.transact(() => {
      for (const [path, content] of Object.entries(initial)) files.create(prefix + path, language, content);
    });
  }
  const access = new Map(challenge.files.map((f) => [f.path, f.access]));
  const own = (): Record<string, string> =>
    Object.fromEntries(
      files
        .paths()
        .filter((path) => path.startsWith(prefix))
        .map((path) => [path.slice(prefix.length), files.text(path)?.toString() ?? ""]),
    );
  const save = async (): Promise<void> => {
    await call("PUT", `/challenges/${challenge.id}/work`, { language, files: own() });
  };
  const tabs = el("div", { role: "tablist", ariaLabel: "Files", className: "take-files" });
  const editorBox = el("div", { id: "take-editor", className: "take-editor", role: "tabpanel" });
  const run = el("button", { type: "button", id: "take-run" }, "Run the sample tests");
  const output = el("pre", { id: "take-console", role: "log", ariaLive: "polite", ariaLabel: "Console", tabIndex: 0 });
  panel.append(tabs, editorBox, run, el("h3", {}, "Console"), output);
  const paths = files
    .paths()
    .filter((path) => path.startsWith(prefix))
    .map((path) => path.slice(prefix.length));
  const openFile = (path: string): void => {
    for (const tab of tabs.querySelectorAll<HTMLButtonElement>("button")) {
      const selected = tab.dataset.path === path;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
    }
    const text = files.text(prefix + path);
    if (text === undefined || provider === null) return;
    editor?.view.destroy();
    editor = new PadEditor(editorBox, provider.awareness, access.get(path) !== "read-only");
    editor.bind(text, language);
    editorBox.setAttribute("aria-label", `${path}${access.get(path) === "read-only" ? " (read-only)" : ""}`);
  };
  for (const path of paths) {
    const tab = el("button", { type: "button", role: "tab", dataset: { path } }, path);
    tab.id = `tab-${path.replace(/[^A-Za-z0-9_-]/g, "-")}`;
    tab.addEventListener("click", () => openFile(path));
    tab.addEventListener("keydown", (event) => {
      const all = [...tabs.querySelectorAll<HTMLButtonElement>("button")];
      const at = all.indexOf(tab);
      const next = event.key === "ArrowRight" ? all[at + 1] : event.key === "ArrowLeft" ? all[at - 1] : undefined;
      if (next) {
        next.focus();
        next.click();
      }
    });
    tabs.append(tab);
  }
  const editable = paths.filter((p) => access.get(p) !== "read-only" && !p.includes("test"));
  const main = editable.find((p) => /^main\./.test(p)) ?? editable[0] ?? paths[0];
  if (main !== undefined) openFile(main);
  const observer = (): void => scheduleSave(challenge.id, save);
  files.files.observeDeep(observer);
  stopObserving = () => files.files.unobserveDeep(observer);
  if (channel !== null) sendSignals(editorBox, channel);
  run.addEventListener("click", async () => {
    run.disabled = true;
    output.textContent = "Running…";
    try {
      const result = await call<{
        status: string;
        tests: { name: string; status: string; message: string }[];
        output: string;
      }>("POST", `/challenges/${challenge.id}/run`, { language, files: own() });
      const lines = result.tests.map(
        (t) => `${t.status === "passed" ? "PASS" : "FAIL"} ${t.name}${t.message ? ` — ${t.message}` : ""}`,
      );
      output.textContent = [...lines, result.output].filter(Boolean).join("\n") || "No tests ran.";
    } catch (problem) {
      output.textContent = (problem as Error).message;
    } finally {
      run.disabled = false;
    }
  });
}

render();
