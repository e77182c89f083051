// File operations on the shared document: `files` (path -> Y.Text) and `meta` (`lang:<path>`).

import * as Y from "yjs";

export const languageKey = (path: string): string => `lang:${path}`;

export class SharedFiles {
  readonly files: Y.Map<Y.Text>;
  readonly meta: Y.Map<string>;

  constructor(private readonly doc: Y.Doc) {
    this.files = doc.getMap<Y.Text>("files");
    this.meta = doc.getMap<string>("meta");
  }

  paths(): string[] {
    return [...this.files.keys()].sort((a, b) => a.localeCompare(b));
  }

  text(path: string): Y.Text | undefined {
    return this.files.get(path);
  }

  language(path: string, fallback: string): string {
    return this.meta.get(languageKey(path)) ?? fallback;
  }

  create(path: string, language: string, content = ""): void {
    this.doc.transact(() => {
      this.files.set(path, new Y.Text(content));
      this.meta.set(languageKey(path), language);
    });
  }

  /** A Y.Text cannot move between keys: the content is copied under the new name, in one transaction. */
  rename(from: string, to: string): void {
    const text = this.files.get(from);
    if (text === undefined) return;
    this.doc.transact(() => {
      const language = this.meta.get(languageKey(from));
      this.files.set(to, new Y.Text(text.toString()));
      if (language !== undefined) this.meta.set(languageKey(to), language);
      this.files.delete(from);
      this.meta.delete(languageKey(from));
      if (this.meta.get("main") === from) this.meta.set("main", to);
      if (this.meta.get("active") === from) this.meta.set("active", to);
    });
  }

  remove(path: string): void {
    this.doc.transact(() => {
      this.files.delete(path);
      this.meta.delete(languageKey(path));
    });
  }

  setLanguage(path: string, language: string): void {
    this.meta.set(languageKey(path), language);
  }
}
