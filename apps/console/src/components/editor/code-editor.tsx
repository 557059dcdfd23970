'use client';

import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { yaml } from '@codemirror/lang-yaml';
import { bracketMatching, defaultHighlightStyle, indentOnInput, indentUnit, syntaxHighlighting } from '@codemirror/language';
import { lintGutter, lintKeymap, setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { EditorState, type Text } from '@codemirror/state';
import { drawSelection, EditorView, highlightActiveLine, highlightActiveLineGutter, highlightSpecialChars, keymap, lineNumbers } from '@codemirror/view';
import { useEffect, useRef } from 'react';
import type { EditorIssue } from './validation';

/** The range a located issue covers: from its column to the end of the token there. */
export function issueRange(doc: Text, issue: EditorIssue): { from: number; to: number } {
  const lineNo = Math.min(Math.max(issue.line ?? 1, 1), doc.lines);
  const line = doc.line(lineNo);
  const from = Math.min(line.from + Math.max((issue.column ?? 1) - 1, 0), line.to);
  let to = from;
  const text = line.text;
  while (to < line.to && !/\s/.test(text[to - line.from]!)) to++;
  return { from, to };
}

function diagnosticsOf(doc: Text, issues: readonly EditorIssue[]): Diagnostic[] {
  return issues.map((issue) => ({
    ...issueRange(doc, issue),
    severity: 'error',
    source: issue.source === 'server' ? 'server' : 'spec',
    message: issue.path ? `${issue.path}: ${issue.message}` : issue.message,
  }));
}

/**
 * CodeMirror 6 on the source text. The parent owns the text: every edit is reported with
 * `onChange`, and a new `value` from outside (a visual edit, a format switch) replaces the
 * editor's content. Tab is left to the browser so that keyboard users can leave the editor.
 */
export function CodeEditor({
  value,
  onChange,
  issues,
  label,
  describedBy,
}: {
  value: string;
  onChange: (text: string) => void;
  issues: readonly EditorIssue[];
  label: string;
  describedBy?: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChangeRef = useRef(onChange);
  useEffect(() => {
    onChangeRef.current = onChange;
  }, [onChange]);

  // Created once; later values arrive through the effects below.
  const initial = useRef({ value, label, describedBy });
  useEffect(() => {
    const { value: doc, label: ariaLabel, describedBy: described } = initial.current;
    const editor = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc,
        extensions: [
          lineNumbers(),
          highlightActiveLineGutter(),
          highlightSpecialChars(),
          drawSelection(),
          indentOnInput(),
          bracketMatching(),
          highlightActiveLine(),
          syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
          indentUnit.of('  '),
          EditorState.tabSize.of(2),
          yaml(),
          lintGutter(),
          history(),
          // Tab indents; Escape then Tab leaves the editor (CodeMirror's focus escape), so keyboard users are not trapped.
          keymap.of([...defaultKeymap, ...historyKeymap, ...lintKeymap, indentWithTab]),
          EditorView.contentAttributes.of({ 'aria-label': ariaLabel, 'aria-multiline': 'true', ...(described ? { 'aria-describedby': described } : {}) }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) onChangeRef.current(update.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = editor;
    return () => {
      editor.destroy();
      view.current = null;
    };
  }, []);

  useEffect(() => {
    const editor = view.current;
    if (!editor) return;
    const current = editor.state.doc.toString();
    if (current !== value) editor.dispatch({ changes: { from: 0, to: current.length, insert: value } });
  }, [value]);

  useEffect(() => {
    const editor = view.current;
    if (!editor) return;
    // Issues are computed from `value`; once the editor holds newer text they wait for the next round.
    if (editor.state.doc.toString() !== value) return;
    editor.dispatch(setDiagnostics(editor.state, diagnosticsOf(editor.state.doc, issues)));
  }, [issues, value]);

  return <div ref={host} className="editor-code" data-testid="editor-code" />;
}

/** Moves the cursor of the code editor inside `container` to an issue's line and column and focuses it. */
export function focusIssue(container: HTMLElement | null, issue: EditorIssue) {
  const dom = container?.querySelector('.cm-editor');
  const editor = dom ? EditorView.findFromDOM(dom as HTMLElement) : null;
  if (!editor) return;
  const { from } = issueRange(editor.state.doc, issue);
  editor.dispatch({ selection: { anchor: from }, scrollIntoView: true });
  editor.focus();
}
