// The pad: a shared CodeMirror editor over Yjs, with files, languages, cursors and presence; the
// session's control channel beside it (console, chat, interviewers' notes, the session's end).

import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";
import { mountChat } from "./chat";
import { colorsFor } from "./colors";
import { readConfig } from "./config";
import { watchConnection } from "./connection";
import { mountConsole } from "./console";
import { ControlChannel } from "./control";
import { PadEditor } from "./editor";
import { mountEnding } from "./ending";
import { SharedFiles } from "./files";
import { LANGUAGES, languageForPath } from "./languages";
import { mountMedia } from "./media";
import { mountNotes } from "./notes";
import { checkPath } from "./paths";
import { renderParticipants } from "./presence";
import { sendSignals } from "./signals";

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`#${id} is missing from the pad page`);
  return element as T;
}

function inputOf(form: HTMLFormElement): HTMLInputElement {
  const input = form.querySelector<HTMLInputElement>("input");
  if (input === null) throw new Error(`the ${form.id} form has no input`);
  return input;
}

const config = readConfig();
const doc = new Y.Doc();
const shared = new SharedFiles(doc);
const provider = new WebsocketProvider(`${config.wsBase}/sync`, config.sessionId, doc, {
  params: { token: config.token },
});
const awareness = provider.awareness;
awareness.setLocalStateField("user", {
  name: config.name,
  role: config.role,
  participant: config.participantId,
  ...colorsFor(config.participantId),
});

const root = byId<HTMLElement>("pad-root");
root.dataset.ready = "false";
const fileList = byId<HTMLUListElement>("file-list");
const activeLabel = byId<HTMLElement>("active-file");
const languageSelect = byId<HTMLSelectElement>("language-select");
const newFileForm = byId<HTMLFormElement>("new-file");
const renameForm = byId<HTMLFormElement>("rename-file");
const deleteButton = byId<HTMLButtonElement>("delete-file");
const fileError = byId<HTMLElement>("file-error");
const editor = new PadEditor(byId("editor"), awareness, config.canEdit);

watchConnection(provider, byId("connection"));
for (const language of LANGUAGES) {
  languageSelect.append(new Option(language.label, language.id));
}

let active: string | null = null;
let boundText: Y.Text | undefined;

function pickActive(): string | null {
  const paths = shared.paths();
  if (active !== null && paths.includes(active)) return active;
  const preferred = [shared.meta.get("active"), shared.meta.get("main")];
  return preferred.find((path): path is string => path !== undefined && paths.includes(path)) ?? paths[0] ?? null;
}

function open(path: string | null): void {
  active = path;
  awareness.setLocalStateField("file", path ?? "");
  const text = path === null ? undefined : shared.text(path);
  if (text !== boundText) {
    if (text !== undefined && path !== null) editor.bind(text, shared.language(path, config.language));
    boundText = text;
  }
  activeLabel.textContent = path ?? "No file";
  languageSelect.value = path === null ? "plaintext" : shared.language(path, config.language);
  inputOf(renameForm).value = path ?? "";
  renderFiles();
}

function renderFiles(): void {
  fileList.replaceChildren(
    ...shared.paths().map((path) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = path;
      button.dataset.path = path;
      if (path === active) button.setAttribute("aria-current", "true");
      button.addEventListener("click", () => open(path));
      item.append(button);
      return item;
    }),
  );
  deleteButton.disabled = !config.canEdit || shared.paths().length <= 1;
}

function showError(message: string | null): void {
  fileError.hidden = message === null;
  fileError.textContent = message ?? "";
}

newFileForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const input = inputOf(newFileForm);
  const path = input.value.trim();
  const problem = checkPath(path, shared.paths());
  showError(problem);
  if (problem !== null) return;
  shared.create(path, languageForPath(path, config.language));
  input.value = "";
  open(path);
});

renameForm.addEventListener("submit", (event) => {
  event.preventDefault();
  if (active === null) return;
  const to = inputOf(renameForm).value.trim();
  if (to === active) return;
  const problem = checkPath(to, shared.paths());
  showError(problem);
  if (problem !== null) return;
  const from = active;
  shared.rename(from, to);
  open(to);
});

deleteButton.addEventListener("click", () => {
  if (active === null || shared.paths().length <= 1) return;
  if (!window.confirm(`Delete ${active} for everyone?`)) return;
  const gone = active;
  const text = shared.text(gone);
  shared.remove(gone);
  if (text) editor.forget(text);
  open(pickActive());
});

languageSelect.addEventListener("change", () => {
  if (active !== null) shared.setLanguage(active, languageSelect.value);
});

shared.files.observe(() => open(pickActive()));
shared.meta.observe((event) => {
  if (active !== null && event.keysChanged.has(`lang:${active}`)) {
    const language = shared.language(active, config.language);
    languageSelect.value = language;
    editor.setLanguage(language);
  }
});

const participants = byId<HTMLUListElement>("participant-list");
awareness.on("change", () => renderParticipants(awareness, participants));
renderParticipants(awareness, participants);

provider.once("sync", () => {
  open(pickActive());
  root.dataset.ready = "true";
});

const channel = new ControlChannel(
  `${config.wsBase}/sessions/${config.sessionId}/events?token=${encodeURIComponent(config.token)}`,
);
mountConsole(byId("console-root"), config, channel, () => active);
const chat = mountChat(byId("chat-root"), config, channel);
const media = mountMedia(byId("media-root"), config, channel);
const notesRoot = document.getElementById("notes-root"); // interviewers' (and reviewers') pages only
const notes = notesRoot === null ? null : mountNotes(notesRoot, channel);
const stopSignals = config.ended || config.role === "reviewer" ? null : sendSignals(byId("editor"), channel);
const lockEditing = (): void => {
  for (const control of root.querySelectorAll<HTMLInputElement | HTMLButtonElement | HTMLSelectElement>(
    "#new-file input, #new-file button, #rename-file input, #rename-file button, #delete-file, #language-select",
  )) {
    control.disabled = true;
  }
};
if (!config.canEdit) lockEditing();
mountEnding(config, channel, () => {
  editor.lock();
  lockEditing();
  chat.close();
  notes?.close();
  stopSignals?.();
  media.close("Audio and video ended with the session.");
});
channel.on((event) => {
  if (event.type === "refused") {
    media.close("Audio and video stopped: this page's access ended.");
    chat.close();
    notes?.close();
    stopSignals?.();
  }
});
channel.start();
