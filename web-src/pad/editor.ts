// The CodeMirror 6 editor, bound to one file's Y.Text at a time.

import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, indentWithTab } from "@codemirror/commands";
import {
  bracketMatching,
  defaultHighlightStyle,
  foldGutter,
  foldKeymap,
  indentOnInput,
  syntaxHighlighting,
} from "@codemirror/language";
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search";
import { Compartment, EditorState, type Extension } from "@codemirror/state";
import {
  crosshairCursor,
  drawSelection,
  dropCursor,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
  rectangularSelection,
} from "@codemirror/view";
import { classHighlighter } from "@lezer/highlight";
import { yCollab, yUndoManagerKeymap } from "y-codemirror.next";
import type { Awareness } from "y-protocols/awareness";
import * as Y from "yjs";
import { languageById } from "./languages";

function baseExtensions(): Extension[] {
  return [
    lineNumbers(),
    highlightActiveLineGutter(),
    highlightSpecialChars(),
    foldGutter(),
    drawSelection(),
    dropCursor(),
    indentOnInput(),
    syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
    syntaxHighlighting(classHighlighter), // stable tok-* classes, for themes and tests
    bracketMatching(),
    closeBrackets(),
    autocompletion(),
    rectangularSelection(),
    crosshairCursor(),
    highlightActiveLine(),
    highlightSelectionMatches(),
    keymap.of([
      ...closeBracketsKeymap,
      ...defaultKeymap,
      ...searchKeymap,
      ...foldKeymap,
      ...completionKeymap,
      ...yUndoManagerKeymap,
      indentWithTab,
    ]),
    EditorView.contentAttributes.of({ "aria-label": "Code editor" }),
  ];
}

export class PadEditor {
  readonly view: EditorView;
  private readonly language = new Compartment();
  private readonly access = new Compartment();
  private readonly undoManagers = new Map<Y.Text, Y.UndoManager>();

  constructor(
    parent: HTMLElement,
    private readonly awareness: Awareness,
    private editable: boolean,
  ) {
    this.view = new EditorView({
      parent,
      state: EditorState.create({ extensions: [baseExtensions(), EditorState.readOnly.of(true)] }),
    });
  }

  /** No more edits from here (the session ended): the server refuses them already. */
  lock(): void {
    this.editable = false;
    this.view.dispatch({ effects: this.access.reconfigure(EditorState.readOnly.of(true)) });
  }

  /** Show ``text`` (one file) with its language; undo only ever undoes your own edits. */
  bind(text: Y.Text, languageId: string): void {
    let undoManager = this.undoManagers.get(text);
    if (undoManager === undefined) {
      undoManager = new Y.UndoManager(text);
      this.undoManagers.set(text, undoManager);
    }
    this.view.setState(
      EditorState.create({
        doc: text.toString(),
        extensions: [
          baseExtensions(),
          this.access.of(EditorState.readOnly.of(!this.editable)),
          this.language.of(languageById(languageId).support()),
          yCollab(text, this.awareness, { undoManager }),
        ],
      }),
    );
  }

  setLanguage(languageId: string): void {
    this.view.dispatch({ effects: this.language.reconfigure(languageById(languageId).support()) });
  }

  forget(text: Y.Text): void {
    this.undoManagers.get(text)?.destroy();
    this.undoManagers.delete(text);
  }
}
