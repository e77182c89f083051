// Syntax highlighting per language id (the ids of server/sessions/languages.py).

import { cpp } from "@codemirror/lang-cpp";
import { go } from "@codemirror/lang-go";
import { java } from "@codemirror/lang-java";
import { javascript } from "@codemirror/lang-javascript";
import { php } from "@codemirror/lang-php";
import { python } from "@codemirror/lang-python";
import { rust } from "@codemirror/lang-rust";
import { SQLite, sql } from "@codemirror/lang-sql";
import { type LanguageSupport, StreamLanguage } from "@codemirror/language";
import { c } from "@codemirror/legacy-modes/mode/clike";
import { ruby } from "@codemirror/legacy-modes/mode/ruby";
import { shell } from "@codemirror/legacy-modes/mode/shell";
import type { Extension } from "@codemirror/state";

export interface LanguageInfo {
  id: string;
  label: string;
  extensions: string[];
  support: () => LanguageSupport | Extension;
}

const PLAIN_TEXT: LanguageInfo = { id: "plaintext", label: "Plain text", extensions: ["txt", "md"], support: () => [] };

export const LANGUAGES: LanguageInfo[] = [
  { id: "python", label: "Python", extensions: ["py"], support: () => python() },
  {
    id: "javascript",
    label: "JavaScript",
    extensions: ["js", "mjs", "cjs", "jsx"],
    support: () => javascript({ jsx: true }),
  },
  {
    id: "typescript",
    label: "TypeScript",
    extensions: ["ts", "tsx"],
    support: () => javascript({ typescript: true, jsx: true }),
  },
  { id: "java", label: "Java", extensions: ["java"], support: () => java() },
  { id: "c", label: "C", extensions: ["c", "h"], support: () => StreamLanguage.define(c) },
  { id: "cpp", label: "C++", extensions: ["cpp", "cc", "cxx", "hpp", "hh"], support: () => cpp() },
  { id: "go", label: "Go", extensions: ["go"], support: () => go() },
  { id: "ruby", label: "Ruby", extensions: ["rb"], support: () => StreamLanguage.define(ruby) },
  { id: "rust", label: "Rust", extensions: ["rs"], support: () => rust() },
  { id: "php", label: "PHP", extensions: ["php"], support: () => php() },
  { id: "bash", label: "Bash", extensions: ["sh", "bash", "bats"], support: () => StreamLanguage.define(shell) },
  { id: "sql", label: "SQL", extensions: ["sql"], support: () => sql({ dialect: SQLite }) },
  PLAIN_TEXT,
];

const BY_ID = new Map(LANGUAGES.map((language) => [language.id, language]));

export function languageById(id: string | undefined): LanguageInfo {
  return BY_ID.get(id ?? "") ?? PLAIN_TEXT;
}

export function languageForPath(path: string, fallback: string): string {
  const extension = path.includes(".") ? (path.split(".").pop() ?? "").toLowerCase() : "";
  const match = LANGUAGES.find((language) => language.extensions.includes(extension));
  return match ? match.id : fallback;
}
