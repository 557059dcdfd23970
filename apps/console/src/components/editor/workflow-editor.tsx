'use client';

import { nodeTypes as NODE_KINDS } from '@orvanta/spec';
import Link from 'next/link';
import { useCallback, useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { Alert } from '../alert';
import { ApiError, errorMessage } from '../api';
import { CodeEditor, focusIssue } from './code-editor';
import { applyEdit, convertFormat, newNode, readModel, type DocEdit, type SourceFormat } from './document-model';
import { FlowCanvas, type Selection } from './flow-canvas';
import { EdgePanel, NodePanel, WorkflowPanel } from './node-panel';
import { saveWorkflowSource } from './save';
import { issuesByTarget, validateSource, type EditorIssue } from './validation';

type View = 'visual' | 'code';
type Saved = { id: string; version: number };
/** The server's 422 issues, for the exact text that was sent. */
type ServerProblem = { text: string; message: string; issues: EditorIssue[] };

const VIEWS: { id: View; label: string }[] = [
  { id: 'visual', label: 'Visual' },
  { id: 'code', label: 'Code' },
];

/**
 * The workflow editor: one source text (YAML or JSON) edited in two views. The visual view
 * (React Flow) applies each change to the parsed YAML document, so comments and fields it
 * has no form for survive; the code view (CodeMirror) edits the text itself. Both show the
 * same validation as the API, as you type. Saving creates the workflow or a new version.
 */
export function WorkflowEditor({ workflowId: initialId, initialText, initialFormat = 'yaml', savedVersion }: { workflowId: string | null; initialText: string; initialFormat?: SourceFormat; savedVersion?: number }) {
  const [workflowId, setWorkflowId] = useState(initialId);
  const [text, setText] = useState(initialText);
  const [format, setFormat] = useState<SourceFormat>(initialFormat);
  const [view, setView] = useState<View>('visual');
  const [selection, setSelection] = useState<Selection>(null);
  const [savedText, setSavedText] = useState(initialId ? initialText : null);
  const [saved, setSaved] = useState<Saved | null>(initialId && savedVersion ? { id: initialId, version: savedVersion } : null);
  const [justSaved, setJustSaved] = useState(false);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [serverProblem, setServerProblem] = useState<ServerProblem | null>(null);
  const codeRef = useRef<HTMLDivElement>(null);
  const nameId = useId();
  const issuesId = useId();
  const tabIds = { visual: useId(), code: useId() };

  const read = useMemo(() => readModel(text, format), [text, format]);
  const clientIssues = useMemo(() => validateSource(text, format), [text, format]);
  const issues = useMemo(() => (serverProblem?.text === text ? [...clientIssues, ...serverProblem.issues.filter((s) => !clientIssues.some((c) => c.path === s.path && c.message === s.message))] : clientIssues), [clientIssues, serverProblem, text]);
  const grouped = useMemo(() => issuesByTarget(issues), [issues]);
  const dirty = text !== savedText;

  // Unsaved work is not lost to a stray click on a link or a closed tab.
  useEffect(() => {
    if (!dirty) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);

  const onEdit = useCallback(
    (edit: DocEdit) => {
      setText((current) => {
        try {
          return applyEdit(current, format, edit);
        } catch {
          return current; // The visual view is read-only while the text does not parse.
        }
      });
      setJustSaved(false);
    },
    [format],
  );

  const onCodeChange = useCallback((next: string) => {
    setText(next);
    setJustSaved(false);
  }, []);

  function addNode(type: string) {
    if (!read.ok) return;
    const node = newNode(read.model, type);
    onEdit({ op: 'addNode', node });
    setSelection({ kind: 'node', index: read.model.nodes.length === 0 ? 0 : Math.max(...read.model.nodes.map((n) => n.index)) + 1 });
  }

  function switchFormat(next: SourceFormat) {
    if (next === format) return;
    if (next === 'json' && /(^|\s)#/.test(text) && !window.confirm('JSON has no comments: the comments in this YAML will be dropped. Convert anyway?')) return;
    try {
      setText(convertFormat(text, format, next));
      setFormat(next);
    } catch (err) {
      setSaveError(`Fix the syntax errors before converting: ${errorMessage(err)}`);
    }
  }

  async function save() {
    if (saving) return;
    setSaving(true);
    setSaveError(null);
    setServerProblem(null);
    const sent = text;
    try {
      const workflow = await saveWorkflowSource(sent, format, workflowId);
      setSaved({ id: workflow.id, version: workflow.version });
      setSavedText(sent);
      setJustSaved(true);
      if (!workflowId) {
        setWorkflowId(workflow.id);
        // Stay in this editor (the text keeps its comments); the address becomes the edit page's.
        window.history.replaceState(null, '', `/workflows/${encodeURIComponent(workflow.id)}/edit`);
      }
    } catch (err) {
      const problem = err instanceof ApiError ? err.problem : undefined;
      const located = (problem?.errors ?? []).map((e) => ({ path: e.path, pointer: e.pointer ?? '', message: e.message, line: e.line, column: e.column, source: 'server' as const }));
      if (located.length > 0) setServerProblem({ text: sent, message: problem?.title ?? 'Validation failed', issues: located });
      else setSaveError(errorMessage(err));
    } finally {
      setSaving(false);
    }
  }

  function onTabKey(event: KeyboardEvent<HTMLButtonElement>) {
    if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft' && event.key !== 'Home' && event.key !== 'End') return;
    event.preventDefault();
    const i = VIEWS.findIndex((v) => v.id === view);
    const next = event.key === 'Home' ? 0 : event.key === 'End' ? VIEWS.length - 1 : (i + (event.key === 'ArrowRight' ? 1 : -1) + VIEWS.length) % VIEWS.length;
    setView(VIEWS[next]!.id);
    document.getElementById(tabIds[VIEWS[next]!.id])?.focus();
  }

  const model = read.ok ? read.model : null;
  const selectedNode = selection?.kind === 'node' ? model?.nodes.find((n) => n.index === selection.index) : undefined;
  const selectedEdge = selection?.kind === 'edge' ? model?.edges.find((e) => e.index === selection.index) : undefined;
  const nameIssues = issues.filter((i) => i.path === 'name');
  const title = model?.name || 'Untitled workflow';

  return (
    <div className="stack editor" data-testid="workflow-editor">
      <div className="page-header">
        <div>
          <p className="breadcrumbs">
            <Link href="/workflows">Workflows</Link> /{' '}
            {workflowId ? (
              <>
                <Link href={`/workflows/${encodeURIComponent(workflowId)}`} className="mono">
                  {workflowId}
                </Link>{' '}
                / edit
              </>
            ) : (
              'new'
            )}
          </p>
          <h1>
            {workflowId ? 'Edit' : 'New workflow'}: {title} {saved && <span className="muted version">v{saved.version}</span>}
          </h1>
        </div>
        <div className="page-actions">
          {workflowId && (
            <Link href={`/workflows/${encodeURIComponent(workflowId)}#deployments-title`} data-testid="editor-deployments-link">
              Versions and deployments
            </Link>
          )}
          <span className="small muted" role="status" data-testid="save-status">
            {saving ? 'Saving…' : justSaved && saved ? `Saved v${saved.version}` : dirty ? 'Unsaved changes' : saved ? `v${saved.version}, no changes` : ''}
          </span>
          <button type="button" className="button button-primary" onClick={save} disabled={saving} data-testid="save-workflow">
            {saving ? 'Saving…' : workflowId ? 'Save new version' : 'Create workflow'}
          </button>
        </div>
      </div>

      {justSaved && saved && (
        <Alert kind="info" testId="saved-notice">
          Saved v{saved.version}.{' '}
          <Link href={`/workflows/${encodeURIComponent(saved.id)}`} data-testid="saved-workflow-link">
            Open the workflow
          </Link>{' '}
          to run it or deploy this version to an environment.
        </Alert>
      )}
      {saveError && <Alert testId="save-error">{saveError}</Alert>}
      {serverProblem && serverProblem.text === text && (
        <Alert testId="save-problem">
          The server did not save this version: {serverProblem.message.toLowerCase()}.
          <ul>
            {serverProblem.issues.map((i, k) => (
              <li key={k}>
                {i.line ? `line ${i.line}, column ${i.column}: ` : ''}
                {i.path ? `${i.path}: ` : ''}
                {i.message}
              </li>
            ))}
          </ul>
        </Alert>
      )}

      <div className="editor-bar">
        <div className="field editor-name">
          <label htmlFor={nameId}>Workflow name</label>
          <input
            id={nameId}
            type="text"
            value={model?.name ?? ''}
            disabled={!model}
            onChange={(e) => onEdit({ op: 'setWorkflowField', key: 'name', value: e.target.value })}
            aria-invalid={nameIssues.length > 0 ? true : undefined}
            aria-describedby={nameIssues.length > 0 ? `${nameId}-issue` : undefined}
            data-testid="workflow-name-input"
          />
          {nameIssues.length > 0 && (
            <span id={`${nameId}-issue`} className="small editor-field-issue">
              {nameIssues.map((i) => i.message).join('; ')}
            </span>
          )}
        </div>
        <div role="tablist" aria-label="Editor view" className="editor-tabs">
          {VIEWS.map((v) => (
            <button
              key={v.id}
              id={tabIds[v.id]}
              type="button"
              role="tab"
              aria-selected={view === v.id}
              aria-controls={`${tabIds[v.id]}-panel`}
              tabIndex={view === v.id ? 0 : -1}
              className="editor-tab"
              onClick={() => setView(v.id)}
              onKeyDown={onTabKey}
              data-testid={`editor-tab-${v.id}`}
            >
              {v.label}
            </button>
          ))}
        </div>
        <p className={`small editor-issue-count${issues.length > 0 ? ' editor-field-issue' : ' muted'}`} data-testid="issue-count" aria-live="polite">
          {issues.length === 0 ? 'Valid' : `${issues.length} ${issues.length === 1 ? 'problem' : 'problems'}`}
        </p>
      </div>

      {view === 'visual' && (
        <div role="tabpanel" id={`${tabIds.visual}-panel`} aria-labelledby={tabIds.visual} className="editor-panel-wrap">
          {!model ? (
            <Alert kind="warning" testId="visual-unavailable">
              The document does not parse, so it cannot be drawn: {read.ok ? '' : read.error} Fix it in the code view.
            </Alert>
          ) : (
            <div className="editor-visual">
              <div className="editor-palette" role="group" aria-label="Add a node">
                <span className="small muted">Add</span>
                {NODE_KINDS.map((kind) => (
                  <button key={kind} type="button" className="button button-small" onClick={() => addNode(kind)} data-testid={`add-node-${kind}`} aria-label={`Add a ${kind} node`}>
                    + {kind}
                  </button>
                ))}
              </div>
              <div className="editor-workspace">
                <FlowCanvas model={model} nodeIssues={grouped.nodes} edgeIssues={grouped.edges} selection={selection} setSelection={setSelection} onEdit={onEdit} />
                <aside className="editor-side card" aria-label="Selected item">
                  {selectedNode ? (
                    <NodePanel
                      key={selectedNode.index}
                      node={selectedNode}
                      model={model}
                      issues={grouped.nodes.get(selectedNode.index) ?? []}
                      edgeIssues={grouped.edges}
                      onEdit={onEdit}
                      onSelectEdge={(index) => setSelection({ kind: 'edge', index })}
                      onDeleted={() => setSelection(null)}
                    />
                  ) : selectedEdge ? (
                    <EdgePanel key={selectedEdge.index} edge={selectedEdge} issues={grouped.edges.get(selectedEdge.index) ?? []} onEdit={onEdit} onDeleted={() => setSelection(null)} />
                  ) : (
                    <WorkflowPanel model={model} issues={grouped.other} onEdit={onEdit} />
                  )}
                </aside>
              </div>
            </div>
          )}
        </div>
      )}

      {view === 'code' && (
        <div role="tabpanel" id={`${tabIds.code}-panel`} aria-labelledby={tabIds.code} className="editor-panel-wrap stack-tight" ref={codeRef}>
          <div className="toolbar">
            <p className="small muted">Edit the document as text; problems are underlined as you type (F8 jumps to the next one).</p>
            <label className="field field-inline small">
              <span>Format</span>
              <select className="select-small" value={format} onChange={(e) => switchFormat(e.target.value as SourceFormat)} data-testid="editor-format">
                <option value="yaml">YAML</option>
                <option value="json">JSON</option>
              </select>
            </label>
          </div>
          <CodeEditor value={text} onChange={onCodeChange} issues={issues} label={`Workflow document (${format.toUpperCase()})`} describedBy={issues.length > 0 ? issuesId : undefined} />
        </div>
      )}

      {issues.length > 0 && (
        <section className="card editor-issues" aria-labelledby={`${issuesId}-title`} data-testid="editor-issues">
          <h2 id={`${issuesId}-title`}>Problems</h2>
          <ul id={issuesId} className="editor-issue-list">
            {issues.map((issue, k) => (
              <li key={k} data-testid="editor-issue">
                <button
                  type="button"
                  className="button-quiet button-small mono"
                  onClick={() => {
                    if (view === 'code') focusIssue(codeRef.current, issue);
                    else {
                      const target = /^(nodes|edges)\[(\d+)\]/.exec(issue.path);
                      if (target) setSelection({ kind: target[1] === 'nodes' ? 'node' : 'edge', index: Number(target[2]) });
                    }
                  }}
                >
                  {issue.line ? `${issue.line}:${issue.column}` : '—'}
                </button>{' '}
                {issue.path && <span className="mono">{issue.path}: </span>}
                <span data-testid="editor-issue-message">{issue.message}</span>
                {issue.source === 'server' && <span className="muted small"> (server)</span>}
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}
