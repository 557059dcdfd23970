'use client';

import Link from 'next/link';
import { Fragment, useEffect, useState } from 'react';
import { Alert } from './alert';
import { api } from './api';
import { ConfirmButton } from './confirm-button';
import { formatDateTime } from './format';
import { LoadMore } from './load-more';
import { TrashItemPanel } from './trash-item-panel';
import type { TrashBulkResult, TrashItem, TrashStatus } from './types';
import { usePaged } from './use-paged';
import { useWorkflowNames } from './use-workflow-names';

const STATUSES: TrashStatus[] = ['parked', 'approved', 'rejected', 'discarded'];

function summary(decision: 'approve' | 'reject', result: TrashBulkResult): string {
  const verb = decision === 'approve' ? 'Approved' : 'Rejected';
  const skipped = result.skipped.length ? `; ${result.skipped.length} skipped (already decided or gone)` : '';
  const more = result.more ? '. More items match: run it again for the next batch.' : '.';
  return `${verb} ${result.decided.length} ${result.decided.length === 1 ? 'item' : 'items'}${skipped}${more}`;
}

/**
 * The Trash inbox: messages that used up their retries, newest first. Open one to see its
 * error, attempts and payload (read from its data plane) and approve, edit then approve, or
 * reject it; or select several — or everything parked that matches the filter — and decide
 * them together.
 */
export function TrashView({ canDecide }: { canDecide: boolean }) {
  const [status, setStatus] = useState<TrashStatus | ''>('parked');
  const [workflowId, setWorkflowId] = useState('');
  const [errorClass, setErrorClass] = useState('');
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [open, setOpen] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const { names, noteWorkflowIds } = useWorkflowNames();
  const filter = { ...(workflowId ? { workflowId } : {}), ...(errorClass.trim() ? { errorClass: errorClass.trim() } : {}) };
  const query = new URLSearchParams({ limit: '50', ...(status ? { status } : {}), ...filter });
  const trash = usePaged<TrashItem>(`/api/v1/trash?${query}`);
  const items = trash.items;
  useEffect(() => {
    if (items) noteWorkflowIds(items.map((i) => i.workflowId));
  }, [items, noteWorkflowIds]);
  const parked = items?.filter((i) => i.status === 'parked') ?? [];
  const allSelected = parked.length > 0 && parked.every((i) => selected.has(i.id));

  const toggle = (id: string) =>
    setSelected((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  async function bulk(decision: 'approve' | 'reject', selection: { ids: string[] } | { filter: typeof filter }) {
    setNotice(null);
    const result = await api<TrashBulkResult>(`/api/v1/trash/${decision}`, { method: 'POST', body: selection });
    setSelected(new Set());
    setNotice(summary(decision, result));
    await trash.reload();
  }

  const replace = (item: TrashItem) => trash.setItems((prev) => prev?.map((i) => (i.id === item.id ? item : i)) ?? null);
  const count = selected.size;

  return (
    <section className="stack">
      <div className="toolbar" role="group" aria-label="Filter the Trash">
        <label className="field field-inline">
          <span>Status</span>
          <select
            value={status}
            onChange={(e) => {
              setStatus(e.target.value as TrashStatus | '');
              setSelected(new Set());
            }}
            data-testid="trash-status"
          >
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label className="field field-inline">
          <span>Workflow</span>
          <select value={workflowId} onChange={(e) => setWorkflowId(e.target.value)}>
            <option value="">Any</option>
            {[...names].map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label className="field field-inline">
          <span>Error class</span>
          <input value={errorClass} onChange={(e) => setErrorClass(e.target.value)} placeholder="e.g. HttpServerError" className="input-small" />
        </label>
      </div>

      {canDecide && (
        <div className="toolbar" role="group" aria-label="Decide on several items">
          <ConfirmButton
            className="button button-primary button-small"
            confirm={`Approve ${count} selected ${count === 1 ? 'item' : 'items'}? Each message goes back to its node as it is.`}
            onConfirm={() => bulk('approve', { ids: [...selected] })}
            disabled={count === 0}
            testId="trash-approve-selected"
          >
            Approve selected ({count})
          </ConfirmButton>
          <ConfirmButton
            confirm={`Reject ${count} selected ${count === 1 ? 'item' : 'items'}? Their failures stand and their runs end failed.`}
            onConfirm={() => bulk('reject', { ids: [...selected] })}
            disabled={count === 0}
            testId="trash-reject-selected"
          >
            Reject selected ({count})
          </ConfirmButton>
          {status === 'parked' && parked.length > 0 && (
            <ConfirmButton
              className="button button-quiet button-small"
              confirm={`Approve every parked item${workflowId || errorClass ? ' matching the filter' : ''}, not only those shown?`}
              onConfirm={() => bulk('approve', { filter })}
              testId="trash-approve-matching"
            >
              Approve all matching
            </ConfirmButton>
          )}
        </div>
      )}
      {notice && (
        <p role="status" className="notice" data-testid="trash-notice">
          {notice}
        </p>
      )}
      {trash.error && <Alert>{trash.error}</Alert>}
      {items === null && !trash.error && <p className="muted">Loading the Trash…</p>}
      {items?.length === 0 && (
        <div className="empty" data-testid="trash-empty">
          {status === 'parked' ? 'Nothing in the Trash. Messages land here when a node has used up its retries.' : `No ${status || ''} items.`}
        </div>
      )}
      {items && items.length > 0 && (
        <div className="table-wrap">
          <table className="table" data-testid="trash-table">
            <caption className="sr-only">Trash items, newest first</caption>
            <thead>
              <tr>
                {canDecide && (
                  <th scope="col">
                    <input
                      type="checkbox"
                      aria-label="Select every parked item shown"
                      checked={allSelected}
                      disabled={parked.length === 0}
                      onChange={() => setSelected(allSelected ? new Set() : new Set(parked.map((i) => i.id)))}
                    />
                  </th>
                )}
                <th scope="col">Workflow / node</th>
                <th scope="col">Error</th>
                <th scope="col" className="num">
                  Attempts
                </th>
                <th scope="col">Parked</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="sr-only">Open</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <Fragment key={item.id}>
                  <tr data-testid="trash-row" data-trash-id={item.id}>
                    {canDecide && (
                      <td>
                        <input
                          type="checkbox"
                          aria-label={`Select ${item.nodeId} of run ${item.runId}`}
                          checked={selected.has(item.id)}
                          disabled={item.status !== 'parked'}
                          onChange={() => toggle(item.id)}
                        />
                      </td>
                    )}
                    <td>
                      <div>{names.get(item.workflowId) ?? item.workflowId}</div>
                      <div className="muted small">
                        <span className="mono">{item.nodeId}</span> in <Link href={`/runs/${item.runId}`} className="mono">{item.runId}</Link>
                      </div>
                    </td>
                    <td className="mono small">{item.errorClass}</td>
                    <td className="num">{item.attempts}</td>
                    <td className="small">{formatDateTime(item.createdAt)}</td>
                    <td>
                      <span className={`badge badge-trash-${item.status}`} data-status={item.status}>
                        {item.status}
                      </span>
                      {item.payloadEdited && <span className="muted small"> edited</span>}
                      {item.status !== 'parked' && !item.appliedAt && <span className="muted small"> (sending…)</span>}
                    </td>
                    <td>
                      <button
                        type="button"
                        className="button button-quiet button-small"
                        aria-expanded={open === item.id}
                        onClick={() => setOpen(open === item.id ? null : item.id)}
                        data-testid="trash-open"
                      >
                        {open === item.id ? 'Close' : 'Open'}
                      </button>
                    </td>
                  </tr>
                  {open === item.id && (
                    <tr>
                      <td colSpan={canDecide ? 7 : 6}>
                        <TrashItemPanel item={item} canDecide={canDecide} onDecided={replace} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore nextCursor={trash.nextCursor} loading={trash.loadingMore} onLoad={() => void trash.loadMore()} />
      {!canDecide && <p className="muted small">Your role can read the Trash but not decide on it (that needs trash.write).</p>}
    </section>
  );
}

