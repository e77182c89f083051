// Syntax highlighting per language id (the ids of server/sessions/languages.py).

import { StreamLanguage, type LanguageSupport } from "@codemirror/language";
import type { Extension } from "@codemirror/state";
import { python } from "@codemirror/lang-python";
import { javascript } from "@codemirror/lang-javascript";
import { java } from "@codemirror/lang-java";
import { cpp } from "@codemirror/lang-cpp";
import { go } from "@codemirror/lang-go";
import { rust } from "@codemirror/lang-rust";
import { sql, SQLite } from "@codemirror/lang-sql";
import { php } from "@codemirror/lang-php";
import { ruby } from "@codemirror/legacy-modes/mode/ruby";
import { shell } from "@codemirror/legacy-modes/mode/shell";
import { c } from "@codemirror/legacy-modes/mode/clike";

export interface LanguageInfo {
  id: string;
  label: string;
  extensions: string[];
  support: () => LanguageSupport | Extension;
}

export const LANGUAGES: LanguageInfo[] = [
  { id: "python", label: "Python", extensions: ["py"], support: () => python() },
  { id: "javascript", label: "JavaScript", extensions: ["js", "mjs", "cjs", "jsx"], support: () => javascript({ jsx: true }) },
  { id: "typescript", label: "TypeScript", extensions: ["ts", "tsx"], support: () => javascript({ typescript: true, jsx: true }) },
  { id: "java", label: "Java", extensions: ["java"], support: () => java() },
  { id: "c", label: "C", extensions: ["c", "h"], support: () => StreamLanguage.define(c) },
  { id: "cpp", label: "C++", extensions: ["cpp", "cc", "cxx", "hpp", "hh"], support: () => cpp() },
  { id: "go", label: "Go", extensions: ["go"], support: () => go() },
  { id: "ruby", label: "Ruby", extensions: ["rb"], support: () => StreamLanguage.define(ruby) },
  { id: "rust", label: "Rust", extensions: ["rs"], support: () => rust() },
  { id: "php", label: "PHP", extensions: ["php"], support: () => php() },
  { id: "bash", label: "Bash", extensions: ["sh", "bash", "bats"], support: () => StreamLanguage.define(shell) },
  { id: "sql", label: "SQL", extensions: ["sql"], support: () => sql({ dialect: SQLite }) },
  { id: "plaintext", label: "Plain text", extensions: ["txt", "md"], support: () => [] },
];

const BY_ID = new Map(LANGUAGES.map((language) => [language.id, language]));

export function languageById(id: string | undefined): LanguageInfo {
  return BY_ID.get(id ?? "") ?? BY_ID.get("plaintext")!;
}

export function languageForPath(path: string, fallback: string): string {
  const extension = path.includes(".") ? path.split(".").pop()!.toLowerCase() : "";
  const match = LANGUAGES.find((language) => language.extensions.includes(extension));
  return match ? match.id : fallback;
}
