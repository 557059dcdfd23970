'use client';

import Link from 'next/link';
import { useEffect, useState } from 'react';
import { Alert } from './alert';
import { api, errorMessage } from './api';
import { formatDateTime } from './format';
import type { Page, WorkflowSummary } from './types';

/** The workflows, with a "New workflow" button for roles that may write them. */
export function WorkflowsList({ canCreate = false }: { /** `workflows.write`: shows "New workflow". */ canCreate?: boolean }) {
  const editable = canCreate;
  return (
    <div className="stack">
      {editable && (
        <div className="toolbar">
          <span />
          <Link href="/workflows/new" className="button button-primary" data-testid="new-workflow">
            New workflow
          </Link>
        </div>
      )}
      <WorkflowsTable editable={editable} />
    </div>
  );
}

function WorkflowsTable({ editable }: { editable: boolean }) {
  const [workflows, setWorkflows] = useState<WorkflowSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    api<Page<WorkflowSummary>>('/api/v1/workflows?limit=200', { signal: controller.signal })
      .then((page) => setWorkflows(page.data))
      .catch((err) => !controller.signal.aborted && setError(errorMessage(err)));
    return () => controller.abort();
  }, []);

  if (error) return <Alert>{error}</Alert>;
  if (!workflows) return <p className="muted">Loading workflows…</p>;
  if (workflows.length === 0) {
    return (
      <div className="empty" data-testid="workflows-empty">
        <p>No workflows yet. Create one {editable ? 'with New workflow, or ' : ''}from a YAML or JSON document with the API:</p>
        <pre className="code">{`curl -X POST $CONSOLE/api/v1/workflows \\
  -H "Authorization: Bearer $ORVANTA_API_KEY" \\
  -H "Content-Type: application/yaml" --data-binary @workflow.yaml`}</pre>
      </div>
    );
  }
  return (
    <div className="table-wrap">
      <table className="table" data-testid="workflows-table">
        <caption className="sr-only">Workflows, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col" className="num">
              Version
            </th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          {workflows.map((w) => (
            <tr key={w.id} data-testid="workflow-row" data-workflow-id={w.id}>
              <td>
                <Link href={`/workflows/${w.id}`} className="row-link">
                  {w.name}
                </Link>
                <div className="mono small muted">{w.id}</div>
              </td>
              <td className="num">v{w.version}</td>
              <td>{formatDateTime(w.updatedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
