// What the server tells the page about this participant (the <meta> tags of pad.html).

export type Role = "interviewer" | "candidate" | "observer" | "reviewer";

export interface PadConfig {
  sessionId: string;
  token: string;
  role: Role;
  name: string;
  participantId: string;
  language: string;
  ended: boolean;
  canEdit: boolean;
  wsBase: string;
}

function meta(name: string): string {
  const element = document.querySelector<HTMLMetaElement>(`meta[name="duet-${name}"]`);
  if (element === null) throw new Error(`the page lacks <meta name="duet-${name}">`);
  return element.content;
}

export function readConfig(): PadConfig {
  const role = meta("role") as Role;
  const ended = meta("state") === "ended";
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return {
    sessionId: meta("session"),
    token: meta("token"),
    role,
    name: meta("name"),
    participantId: meta("participant"),
    language: meta("language"),
    ended,
    canEdit: !ended && (role === "interviewer" || role === "candidate"),
    wsBase: `${scheme}//${location.host}`,
  };
}
