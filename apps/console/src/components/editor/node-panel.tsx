'use client';

import { HTTP_METHODS, SCRIPT_LANGUAGES } from '@orvanta/spec';
import { useId, useState, type ReactNode } from 'react';
import { issueTarget, type DocEdit, type FlowEdge, type FlowModel, type FlowNode } from './document-model';
import type { EditorIssue } from './validation';

type Edit = (edit: DocEdit) => void;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string => (typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value));

/** Messages of the issues at `field` (relative to the node or edge), shown under the control. */
function useFieldIssues(issues: readonly EditorIssue[]) {
  return (field: string) =>
    issues
      .filter((i) => {
        const target = issueTarget(i.path);
        return target !== null && (target.field === field || target.field.startsWith(`${field}.`) || target.field.startsWith(`${field}[`));
      })
      .map((i) => i.message);
}

function Field({ label, messages, hint, children }: { label: string; messages: string[]; hint?: string; children: (props: { id: string; 'aria-invalid'?: true; 'aria-describedby'?: string }) => ReactNode }) {
  const id = useId();
  const describedBy = messages.length > 0 || hint ? `${id}-desc` : undefined;
  return (
    <div className="field editor-field">
      <label htmlFor={id}>{label}</label>
      {children({ id, ...(messages.length > 0 ? { 'aria-invalid': true } : {}), ...(describedBy ? { 'aria-describedby': describedBy } : {}) })}
      {describedBy && (
        <span id={describedBy} className={messages.length > 0 ? 'small editor-field-issue' : 'small muted field-hint'}>
          {messages.length > 0 ? messages.join('; ') : hint}
        </span>
      )}
    </div>
  );
}

function TextInput({ label, value, onChange, messages, hint, multiline, mono, rows = 4 }: { label: string; value: string; onChange: (v: string) => void; messages: string[]; hint?: string; multiline?: boolean; mono?: boolean; rows?: number }) {
  return (
    <Field label={label} messages={messages} hint={hint}>
      {(props) =>
        multiline ? (
          <textarea {...props} className="code-input" rows={rows} spellCheck={false} value={value} onChange={(e) => onChange(e.target.value)} />
        ) : (
          <input {...props} type="text" className={mono ? 'mono' : undefined} spellCheck={false} value={value} onChange={(e) => onChange(e.target.value)} />
        )
      }
    </Field>
  );
}

function NumberInput({ label, value, onChange, messages, hint }: { label: string; value: unknown; onChange: (v: number | undefined) => void; messages: string[]; hint?: string }) {
  return (
    <Field label={label} messages={messages} hint={hint}>
      {(props) => (
        <input
          {...props}
          type="number"
          inputMode="numeric"
          value={typeof value === 'number' ? String(value) : ''}
          onChange={(e) => onChange(e.target.value === '' ? undefined : Number(e.target.value))}
        />
      )}
    </Field>
  );
}

function SelectInput({ label, value, options, onChange, messages, blank }: { label: string; value: string; options: readonly string[]; onChange: (v: string) => void; messages: string[]; blank?: string }) {
  const known = options.includes(value) || value === '';
  return (
    <Field label={label} messages={messages}>
      {(props) => (
        <select {...props} value={value} onChange={(e) => onChange(e.target.value)}>
          {blank !== undefined && <option value="">{blank}</option>}
          {!known && <option value={value}>{value}</option>}
          {options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/**
 * A value edited as text and applied only while it parses (JSON bodies, header lists);
 * what does not parse yet stays in the box with its error.
 */
function ParsedTextInput<T>({ label, initial, parse, onChange, messages, hint }: { label: string; initial: string; parse: (text: string) => { value: T } | { error: string }; onChange: (v: T) => void; messages: string[]; hint?: string }) {
  const [draft, setDraft] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  return (
    <TextInput
      label={label}
      multiline
      mono
      value={draft}
      hint={hint}
      messages={error ? [error, ...messages] : messages}
      onChange={(text) => {
        setDraft(text);
        const parsed = parse(text);
        if ('error' in parsed) setError(parsed.error);
        else {
          setError(null);
          onChange(parsed.value);
        }
      }}
    />
  );
}

function parseJsonBody(text: string): { value: unknown } | { error: string } {
  if (text.trim() === '') return { value: undefined };
  try {
    return { value: JSON.parse(text) };
  } catch (err) {
    return { error: `Not valid JSON yet: ${(err as Error).message}` };
  }
}

function parseHeaders(text: string): { value: Record<string, string> | undefined } | { error: string } {
  const out: Record<string, string> = {};
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) return { error: `Line ${i + 1}: write "Name: value"` };
    out[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return { value: Object.keys(out).length > 0 ? out : undefined };
}

/** The id, applied on blur or Enter: renaming follows through to edges, so half-typed ids must not merge nodes. */
function IdInput({ node, model, onEdit, messages }: { node: FlowNode; model: FlowModel; onEdit: Edit; messages: string[] }) {
  const [draft, setDraft] = useState(node.id);
  const taken = draft !== node.id && model.nodes.some((n) => n.id === draft);
  const commit = () => {
    if (draft === node.id || taken || draft === '') return;
    onEdit({ op: 'renameNode', index: node.index, id: draft });
  };
  const local = taken ? [`another node already has id "${draft}"`] : draft === '' ? ['id is required'] : [];
  return (
    <Field label="Id" messages={[...local, ...messages]} hint="Applied when you leave the field or press Enter; edges follow the rename.">
      {(props) => (
        <input
          {...props}
          type="text"
          className="mono"
          spellCheck={false}
          value={draft}
          data-testid="node-id-input"
          onChange={(e) => setDraft(e.target.value)}
          onBlur={commit}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              commit();
            }
          }}
        />
      )}
    </Field>
  );
}

function KindFields({ node, onEdit, at }: { node: FlowNode; onEdit: Edit; at: (field: string) => string[] }) {
  const set = (path: string[], value: unknown) => onEdit({ op: 'setNodeField', index: node.index, path, value });
  const s = node.spec;
  switch (node.type) {
    case 'script':
      return (
        <>
          <SelectInput label="Language" value={str(s.language)} options={SCRIPT_LANGUAGES} onChange={(v) => set(['language'], v || undefined)} messages={at('language')} />
          <TextInput label="Code" multiline mono rows={8} value={str(s.code)} onChange={(v) => set(['code'], v)} messages={at('code')} hint="An ES module whose default export is (input, ctx) => output." />
        </>
      );
    case 'http': {
      const request = isRecord(s.request) ? s.request : {};
      const headers = isRecord(request.headers) ? request.headers : {};
      return (
        <>
          <TextInput label="Application" mono value={str(s.application)} onChange={(v) => set(['application'], v)} messages={at('application')} hint="The rate-limit key, e.g. stripe." />
          <SelectInput label="Method" value={str(request.method)} options={HTTP_METHODS} blank="GET (default)" onChange={(v) => set(['request', 'method'], v || undefined)} messages={at('request.method')} />
          <TextInput label="URL" mono value={str(request.url)} onChange={(v) => set(['request', 'url'], v)} messages={at('request.url')} hint="{{ expr }} templates are JSONata." />
          <ParsedTextInput
            label="Headers (one per line, Name: value)"
            initial={Object.entries(headers)
              .map(([k, v]) => `${k}: ${str(v)}`)
              .join('\n')}
            parse={parseHeaders}
            onChange={(v) => set(['request', 'headers'], v)}
            messages={at('request.headers')}
          />
          <ParsedTextInput
            label="Body (JSON)"
            initial={request.body === undefined ? '' : JSON.stringify(request.body, null, 2)}
            parse={parseJsonBody}
            onChange={(v) => set(['request', 'body'], v)}
            messages={at('request.body')}
          />
        </>
      );
    }
    case 'transform':
      return <TextInput label="Expression (JSONata)" multiline mono rows={3} value={str(s.expression)} onChange={(v) => set(['expression'], v)} messages={at('expression')} />;
    case 'split':
      return <TextInput label="Items (JSONata, an array)" mono value={str(s.items)} onChange={(v) => set(['items'], v)} messages={at('items')} />;
    case 'join':
      return <TextInput label="From (split id, optional)" mono value={str(s.from)} onChange={(v) => set(['from'], v || undefined)} messages={at('from')} hint="Default: the nearest split upstream." />;
    case 'delay':
      return <NumberInput label="Duration (ms)" value={s.durationMs} onChange={(v) => set(['durationMs'], v)} messages={at('durationMs')} />;
    case 'subworkflow':
      return (
        <>
          <TextInput label="Workflow to run (name)" value={str(s.workflow)} onChange={(v) => set(['workflow'], v)} messages={at('workflow')} />
          <TextInput label="Environment (optional)" mono value={str(s.environment)} onChange={(v) => set(['environment'], v || undefined)} messages={at('environment')} />
        </>
      );
    default:
      return <p className="small muted">This node kind has no form here; edit it in the code view.</p>;
  }
}

function RetryFields({ node, onEdit, at }: { node: FlowNode; onEdit: Edit; at: (field: string) => string[] }) {
  const retry = isRecord(node.spec.retry) ? node.spec.retry : {};
  const set = (field: string, value: unknown) => {
    const next = { ...retry, [field]: value };
    const empty = Object.values(next).every((v) => v === undefined);
    onEdit({ op: 'setNodeField', index: node.index, path: empty ? ['retry'] : ['retry', field], value: empty ? undefined : value });
  };
  return (
    <fieldset className="fieldset">
      <legend>Retry and limits</legend>
      <div className="editor-field-grid">
        <NumberInput label="Attempts" value={retry.attempts} onChange={(v) => set('attempts', v)} messages={at('retry.attempts')} />
        <SelectInput label="Backoff" value={str(retry.backoff)} options={['exponential', 'fixed']} blank="default" onChange={(v) => set('backoff', v || undefined)} messages={at('retry.backoff')} />
        <NumberInput label="Delay (ms)" value={retry.delayMs} onChange={(v) => set('delayMs', v)} messages={at('retry.delayMs')} />
        <NumberInput label="Max delay (ms)" value={retry.maxDelayMs} onChange={(v) => set('maxDelayMs', v)} messages={at('retry.maxDelayMs')} />
        <NumberInput label="Timeout (ms)" value={node.spec.timeoutMs} onChange={(v) => onEdit({ op: 'setNodeField', index: node.index, path: ['timeoutMs'], value: v })} messages={at('timeoutMs')} />
        <NumberInput label="Concurrency" value={node.spec.concurrency} onChange={(v) => onEdit({ op: 'setNodeField', index: node.index, path: ['concurrency'], value: v })} messages={at('concurrency')} />
      </div>
      {retry.on !== undefined && <p className="small muted">Retried error classes (on) are kept; edit them in the code view.</p>}
    </fieldset>
  );
}

function EdgeRow({ edge, onEdit, issues, onSelect }: { edge: FlowEdge; onEdit: Edit; issues: readonly EditorIssue[]; onSelect: () => void }) {
  const at = useFieldIssues(issues);
  return (
    <li className="editor-edge-row" data-testid="panel-edge" data-to={edge.to}>
      <button type="button" className="button-quiet button-small mono" onClick={onSelect}>
        → {edge.to}
      </button>
      <TextInput label={`Condition to ${edge.to} (when, optional)`} mono value={edge.when ?? ''} onChange={(v) => onEdit({ op: 'setEdgeWhen', index: edge.index, when: v || undefined })} messages={at('when')} />
      <button type="button" className="button button-small button-danger" onClick={() => onEdit({ op: 'remove', nodes: [], edges: [edge.index] })}>
        Remove edge to {edge.to}
      </button>
    </li>
  );
}

/** The selected node's fields, its outgoing edges, and a keyboard way to connect it. */
export function NodePanel({ node, model, issues, edgeIssues, onEdit, onSelectEdge, onDeleted }: { node: FlowNode; model: FlowModel; issues: readonly EditorIssue[]; edgeIssues: ReadonlyMap<number, EditorIssue[]>; onEdit: Edit; onSelectEdge: (index: number) => void; onDeleted: () => void }) {
  const at = useFieldIssues(issues);
  const targetId = useId();
  const outgoing = model.edges.filter((e) => e.from === node.id);
  const candidates = model.nodes.filter((n) => n.id && n.id !== node.id && !outgoing.some((e) => e.to === n.id));
  const [target, setTarget] = useState('');
  const known = new Set(['id', 'name', 'type', 'language', 'code', 'application', 'request', 'expression', 'items', 'from', 'durationMs', 'workflow', 'environment', 'retry', 'timeoutMs', 'concurrency']);
  const unmatched = issues.filter((i) => {
    const field = issueTarget(i.path)?.field ?? '';
    const head = field.split(/[.[]/)[0] ?? '';
    return field === '' || !known.has(head);
  });
  return (
    <div className="stack-tight" data-testid="node-panel" data-node-id={node.id}>
      <div className="editor-panel-header">
        <h2 className="editor-panel-title">
          <span className="mono">{node.id || '(no id)'}</span> <span className="muted small">{node.type}</span>
        </h2>
        <button
          type="button"
          className="button button-small button-danger"
          onClick={() => {
            onEdit({ op: 'remove', nodes: [node.index], edges: [] });
            onDeleted();
          }}
        >
          Delete node
        </button>
      </div>
      {unmatched.length > 0 && (
        <ul className="editor-issue-list small" aria-label="Problems with this node">
          {unmatched.map((i, k) => (
            <li key={k}>{i.path ? `${issueTarget(i.path)?.field || 'node'}: ${i.message}` : i.message}</li>
          ))}
        </ul>
      )}
      <IdInput key={node.id} node={node} model={model} onEdit={onEdit} messages={at('id')} />
      <TextInput label="Name (optional)" value={str(node.spec.name)} onChange={(v) => onEdit({ op: 'setNodeField', index: node.index, path: ['name'], value: v || undefined })} messages={at('name')} />
      <KindFields node={node} onEdit={onEdit} at={at} />
      <RetryFields node={node} onEdit={onEdit} at={at} />
      <section className="stack-tight" aria-label="Outgoing edges">
        <h3>Outgoing edges</h3>
        {outgoing.length === 0 ? (
          <p className="small muted">None: this node&apos;s output ends the run.</p>
        ) : (
          <ul className="editor-edge-list">
            {outgoing.map((e) => (
              <EdgeRow key={e.index} edge={e} onEdit={onEdit} issues={edgeIssues.get(e.index) ?? []} onSelect={() => onSelectEdge(e.index)} />
            ))}
          </ul>
        )}
        {candidates.length > 0 && (
          <div className="form-row">
            <div className="field">
              <label htmlFor={targetId}>Connect to</label>
              <select id={targetId} value={target} onChange={(e) => setTarget(e.target.value)} data-testid="connect-target">
                <option value="">Choose a node…</option>
                {candidates.map((n) => (
                  <option key={n.index} value={n.id}>
                    {n.id}
                  </option>
                ))}
              </select>
            </div>
            <button
              type="button"
              className="button"
              disabled={!target}
              onClick={() => {
                onEdit({ op: 'addEdge', from: node.id, to: target });
                setTarget('');
              }}
            >
              Add edge
            </button>
          </div>
        )}
      </section>
    </div>
  );
}

/** The selected edge: its ends, its condition, and a way to remove it. */
export function EdgePanel({ edge, issues, onEdit, onDeleted }: { edge: FlowEdge; issues: readonly EditorIssue[]; onEdit: Edit; onDeleted: () => void }) {
  const at = useFieldIssues(issues);
  const other = issues.filter((i) => (issueTarget(i.path)?.field ?? '') !== 'when');
  return (
    <div className="stack-tight" data-testid="edge-panel">
      <div className="editor-panel-header">
        <h2 className="editor-panel-title mono">
          {edge.from} → {edge.to}
        </h2>
        <button
          type="button"
          className="button button-small button-danger"
          onClick={() => {
            onEdit({ op: 'remove', nodes: [], edges: [edge.index] });
            onDeleted();
          }}
        >
          Delete edge
        </button>
      </div>
      {other.length > 0 && (
        <ul className="editor-issue-list small">
          {other.map((i, k) => (
            <li key={k}>{i.message}</li>
          ))}
        </ul>
      )}
      <TextInput
        label="Condition (when, JSONata, optional)"
        mono
        value={edge.when ?? ''}
        onChange={(v) => onEdit({ op: 'setEdgeWhen', index: edge.index, when: v || undefined })}
        messages={at('when')}
        hint="The edge is followed only when this is truthy on the upstream output."
      />
    </div>
  );
}

/** With nothing selected: the workflow's own fields. */
export function WorkflowPanel({ model, issues, onEdit }: { model: FlowModel; issues: readonly EditorIssue[]; onEdit: Edit }) {
  const description = issues.filter((i) => i.path === 'description').map((i) => i.message);
  return (
    <div className="stack-tight" data-testid="workflow-panel">
      <h2 className="editor-panel-title">Workflow</h2>
      <p className="small muted">Select a node or an edge to edit it. Add nodes from the palette; connect them by dragging from a node&apos;s right handle to another&apos;s left handle, or with “Connect to” on the node.</p>
      <TextInput label="Description (optional)" multiline rows={3} value={model.description ?? ''} onChange={(v) => onEdit({ op: 'setWorkflowField', key: 'description', value: v || undefined })} messages={description} />
      {issues.filter((i) => i.path !== 'description' && i.path !== 'name').length > 0 && (
        <ul className="editor-issue-list small" aria-label="Problems with the workflow">
          {issues
            .filter((i) => i.path !== 'description' && i.path !== 'name')
            .map((i, k) => (
              <li key={k}>{i.path ? `${i.path}: ${i.message}` : i.message}</li>
            ))}
        </ul>
      )}
    </div>
  );
}
