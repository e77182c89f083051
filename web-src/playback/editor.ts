// A read-only CodeMirror bound to one file of the replayed document: it follows the Y.Text as
// updates are applied, and draws the other participants' cursors from the awareness.

import { defaultHighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { EditorState } from "@codemirror/state";
import { EditorView, lineNumbers } from "@codemirror/view";
import { classHighlighter } from "@lezer/highlight";
import { yCollab } from "y-codemirror.next";
import type { Awareness } from "y-protocols/awareness";
import type * as Y from "yjs";
import { languageById } from "../pad/languages";

export function readOnlyExtensions(language: string) {
  return [
    lineNumbers(),
    syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
    syntaxHighlighting(classHighlighter),
    languageById(language).support(),
    EditorState.readOnly.of(true),
    EditorView.editable.of(false),
  ];
}

export class ReplayEditor {
  readonly view: EditorView;
  private text: Y.Text | undefined;
  private awareness: Awareness | undefined;

  constructor(parent: HTMLElement) {
    this.view = new EditorView({ parent, state: EditorState.create({ extensions: readOnlyExtensions("plaintext") }) });
    this.view.contentDOM.setAttribute("aria-label", "Code at this moment");
  }

  show(text: Y.Text | undefined, awareness: Awareness, language: string): void {
    if (text === this.text && awareness === this.awareness) return;
    this.text = text;
    this.awareness = awareness;
    this.view.setState(
      EditorState.create({
        doc: text?.toString() ?? "",
        extensions: [readOnlyExtensions(language), text ? yCollab(text, awareness) : []],
      }),
    );
    // y-codemirror draws remote cursors when the awareness changes: tell it about those already there
    const clients = [...awareness.getStates().keys()];
    if (clients.length) awareness.emit("change", [{ added: clients, updated: [], removed: [] }, "playback"]);
  }
}
