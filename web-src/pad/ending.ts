// Ending the session: interviewers' "End session" button asks in a dialog first; everyone's page
// then shows the end (the state badge, read-only) whichever way it learns of it: the
// `session.ended` event, or, for guests, their sockets closed because the session has ended.

import type { PadConfig } from "./config";
import type { ChannelEvent, ControlChannel } from "./control";

/** The reason the server closes guests' sockets with (server/channels/revocation.py). */
export const ENDED_REASON = "the session has ended";

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`#${id} is missing from the pad page`);
  return element as T;
}

export function mountEnding(config: PadConfig, channel: ControlChannel, onEnded: () => void): void {
  const badge = byId<HTMLElement>("session-state");
  const readOnly = byId<HTMLElement>("read-only");
  const notice = byId<HTMLElement>("ended-notice");
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    config.ended = true;
    config.canEdit = false;
    badge.textContent = "ended";
    badge.className = "badge state-ended";
    readOnly.hidden = false;
    notice.hidden = false;
    const button = document.getElementById("end-session");
    if (button !== null) button.hidden = true;
    const dialog = document.getElementById("end-dialog") as HTMLDialogElement | null;
    if (dialog?.open) dialog.close();
    onEnded();
  };
  channel.on((event: ChannelEvent) => {
    if (event.type === "session.ended" || (event.type === "refused" && event.reason === ENDED_REASON)) end();
  });
  if (config.ended) end();

  const button = document.getElementById("end-session") as HTMLButtonElement | null;
  const dialog = document.getElementById("end-dialog") as HTMLDialogElement | null;
  if (button === null || dialog === null) return; // not an interviewer's page
  const problem = byId<HTMLElement>("end-error");
  button.addEventListener("click", () => {
    problem.hidden = true;
    dialog.returnValue = "";
    dialog.showModal();
  });
  dialog.addEventListener("close", () => {
    if (dialog.returnValue !== "end" || ended) return;
    if (!channel.send({ type: "session.end" })) {
      problem.textContent = "Not connected: the session was not ended.";
      problem.hidden = false;
    }
  });
  channel.on((event: ChannelEvent) => {
    if (event.type === "error" && event.request === "session.end") {
      problem.textContent = event.message;
      problem.hidden = false;
    }
  });
}
