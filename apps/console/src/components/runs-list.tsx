'use client';

import { useState } from 'react';
import { Alert } from './alert';
import { api, errorMessage } from './api';
import { RunRow } from './run-row';
import { StatusFilter } from './status-filter';
import type { Page, Run, RunStatus } from './types';
import { usePolling } from './use-polling';
import { useWorkflowNames } from './use-workflow-names';

const POLL_MS = 1500;

/** The newest 50 runs, refreshed every 1.5 s so statuses move as runs progress. */
export function RunsList() {
  const [status, setStatus] = useState<RunStatus | ''>('');
  const [runs, setRuns] = useState<Run[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const { names, noteWorkflowIds } = useWorkflowNames();

  usePolling(
    async (signal) => {
      const query = new URLSearchParams({ limit: '50', ...(status ? { status } : {}) });
      try {
        const page = await api<Page<Run>>(`/api/v1/runs?${query}`, { signal });
        if (signal.aborted) return;
        setRuns(page.data);
        setNow(Date.now());
        setError(null);
        noteWorkflowIds(page.data.map((r) => r.workflowId));
      } catch (err) {
        if (!signal.aborted) setError(errorMessage(err));
      }
    },
    POLL_MS,
    { key: status },
  );

  return (
    <section className="stack">
      <div className="toolbar">
        <StatusFilter
          value={status}
          onChange={(next) => {
            setStatus(next);
            setRuns(null);
          }}
        />
        <span className="muted small" aria-hidden="true">
          Updates live
        </span>
      </div>
      {error && <Alert>{error}</Alert>}
      {runs === null && !error && <p className="muted">Loading runs…</p>}
      {runs?.length === 0 && (
        <div className="empty" data-testid="runs-empty">
          {status ? `No ${status} runs.` : 'No runs yet. Start one from a workflow, the API or a trigger.'}
        </div>
      )}
      {runs && runs.length > 0 && (
        <div className="table-wrap">
          <table className="table" data-testid="runs-table">
            <caption className="sr-only">Runs, newest first{status ? `, status ${status}` : ''}</caption>
            <thead>
              <tr>
                <th scope="col">Workflow / run</th>
                <th scope="col">Status</th>
                <th scope="col">Started</th>
                <th scope="col" className="num">
                  Duration
                </th>
                <th scope="col">Trigger</th>
                <th scope="col">Region</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((run) => (
                <RunRow key={run.id} run={run} workflowName={names.get(run.workflowId)} now={now} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
