'use client';

import Link from 'next/link';
import { useEffect, useState } from 'react';
import { Alert } from './alert';
import { api, errorMessage } from './api';
import { ErrorDetails } from './error-details';
import { formatDateTime } from './format';
import { LogList } from './log-list';
import { fetchRunData } from './run-data';
import type { NodeExecutionData, Run, TrashItem } from './types';

type Loaded = { node: NodeExecutionData } | { problem: string };

/** Reads the parked message — payload, last error, attempt history — from the run's data plane. */
function useParkedMessage(item: TrashItem): Loaded | null {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    (async () => {
      try {
        const run = await api<Run>(`/api/v1/runs/${encodeURIComponent(item.runId)}`, { signal: controller.signal });
        if (!run.links.data) return setLoaded({ problem: 'The data plane of this run has no public address, so its payloads cannot be shown here.' });
        const result = await fetchRunData(run.links.data, controller.signal);
        if ('problem' in result) {
          const { problem } = result;
          return setLoaded({ problem: problem.kind === 'refused' ? problem.detail : 'The data plane of this run cannot be reached from this browser.' });
        }
        const node = result.data.nodes.find((n) => n.trashItemId === item.id);
        setLoaded(node ? { node } : { problem: 'The data plane does not know this item yet. Try again in a moment.' });
      } catch (err) {
        if (!controller.signal.aborted) setLoaded({ problem: errorMessage(err) });
      }
    })();
    return () => controller.abort();
  }, [item.id, item.runId]);
  return loaded;
}

/**
 * One Trash item opened: its error and attempts, the payload it carried (editable before
 * approving), and the decisions. Payloads come straight from the data plane.
 */
export function TrashItemPanel({ item, canDecide, onDecided }: { item: TrashItem; canDecide: boolean; onDecided: (item: TrashItem) => void }) {
  const loaded = useParkedMessage(item);
  const [draft, setDraft] = useState<string | null>(null);
  const [draftError, setDraftError] = useState<string | null>(null);
  const [pending, setPending] = useState<'approve' | 'reject' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const node = loaded && 'node' in loaded ? loaded.node : null;
  const original = node ? JSON.stringify(node.input ?? null, null, 2) : '';
  const text = draft ?? original;
  const edited = draft !== null && draft !== original;

  async function decide(decision: 'approve' | 'reject') {
    setError(null);
    let body: { payload: unknown } | undefined;
    if (decision === 'approve' && edited) {
      try {
        body = { payload: JSON.parse(text) };
      } catch (err) {
        setDraftError(`The payload is not valid JSON: ${(err as Error).message}`);
        return;
      }
    }
    setPending(decision);
    try {
      onDecided(await api<TrashItem>(`/api/v1/trash/${encodeURIComponent(item.id)}/${decision}`, { method: 'POST', body }));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setPending(null);
    }
  }

  return (
    <div className="trash-panel stack" data-testid="trash-panel">
      <p className="small">
        Run <Link href={`/runs/${item.runId}`} className="mono">{item.runId}</Link>, node <span className="mono">{item.nodeId}</span>, parked {formatDateTime(item.createdAt)} after{' '}
        {item.attempts} {item.attempts === 1 ? 'attempt' : 'attempts'}.
      </p>
      {loaded === null && <p className="muted">Loading the message from its data plane…</p>}
      {loaded && 'problem' in loaded && <Alert>{loaded.problem}</Alert>}
      {node && (
        <>
          {node.error && <ErrorDetails error={node.error} testId="trash-error" />}
          {node.history && node.history.length > 0 && (
            <details>
              <summary>Attempts ({node.history.length})</summary>
              <ol className="attempts">
                {node.history.map((h) => (
                  <li key={`${h.attempt}-${h.finishedAt}`}>
                    <span className="muted small">
                      Attempt {h.attempt}, {formatDateTime(h.finishedAt)}:
                    </span>{' '}
                    <span className="mono small">
                      {h.error.class}: {h.error.message}
                    </span>
                    {h.logs && h.logs.length > 0 && <LogList logs={h.logs} />}
                  </li>
                ))}
              </ol>
            </details>
          )}
          <label className="field">
            <span>Payload {item.status === 'parked' && canDecide ? '(edit before approving if needed)' : ''}</span>
            <textarea
              className="code-input"
              rows={Math.min(16, Math.max(4, text.split('\n').length + 1))}
              value={text}
              readOnly={item.status !== 'parked' || !canDecide}
              spellCheck={false}
              onChange={(e) => {
                setDraft(e.target.value);
                setDraftError(null);
              }}
              aria-invalid={draftError ? true : undefined}
              data-testid="trash-payload"
            />
          </label>
          {draftError && (
            <p role="alert" className="error-text small">
              {draftError}
            </p>
          )}
        </>
      )}
      {item.status === 'parked' && canDecide && (
        <div className="toolbar">
          <button type="button" className="button button-primary" disabled={pending !== null} onClick={() => void decide('approve')} data-testid="trash-approve">
            {pending === 'approve' ? 'Approving…' : edited ? 'Approve with edited payload' : 'Approve'}
          </button>
          <button type="button" className="button button-danger" disabled={pending !== null} onClick={() => void decide('reject')} data-testid="trash-reject">
            {pending === 'reject' ? 'Rejecting…' : 'Reject'}
          </button>
          {edited && (
            <button type="button" className="button button-quiet" onClick={() => setDraft(null)}>
              Undo edits
            </button>
          )}
        </div>
      )}
      {error && <Alert>{error}</Alert>}
    </div>
  );
}
