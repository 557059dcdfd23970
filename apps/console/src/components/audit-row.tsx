'use client';

import { Fragment, useState } from 'react';
import { formatActor, formatDateTime } from './format';
import type { AuditEvent } from './identity-types';
import { JsonBlock } from './json-block';

const COLUMNS = 7;

/** One audit event; "Details" opens its before/after state and hashes underneath. */
export function AuditRow({ event }: { event: AuditEvent }) {
  const [open, setOpen] = useState(false);
  const detailsId = `audit-details-${event.id}`;
  return (
    <Fragment>
      <tr data-testid="audit-row" data-event-id={event.id} data-seq={event.seq} data-action={event.action}>
        <td>
          <time dateTime={event.createdAt}>{formatDateTime(event.createdAt)}</time>
        </td>
        <td>{formatActor(event.actor)}</td>
        <td className="mono" data-testid="audit-action">
          {event.action}
        </td>
        <td className="mono small">
          {event.target.type}
          {event.target.id ? `:${event.target.id}` : ''}
        </td>
        <td className="mono small">{event.ip ?? '—'}</td>
        <td className="mono small">{event.requestId ?? '—'}</td>
        <td>
          <button
            type="button"
            className="button button-quiet button-small"
            aria-expanded={open}
            aria-controls={detailsId}
            aria-label={`Details of event #${event.seq}`}
            onClick={() => setOpen(!open)}
          >
            <span aria-hidden="true">{open ? '▾ ' : '▸ '}</span>
            Details
          </button>
        </td>
      </tr>
      {open && (
        <tr id={detailsId} className="details-row" data-testid="audit-details">
          <td colSpan={COLUMNS}>
            <div className="grid-2">
              <div>
                <h4>Before</h4>
                <JsonBlock value={event.before ?? undefined} label={`State before event #${event.seq}`} empty="Nothing (created)." testId="audit-before" />
              </div>
              <div>
                <h4>After</h4>
                <JsonBlock value={event.after ?? undefined} label={`State after event #${event.seq}`} empty="Nothing (deleted)." testId="audit-after" />
              </div>
            </div>
            <p className="small muted mono wrap">
              #{event.seq} · {event.id} · hash {event.hash} · previous {event.prevHash ?? '—'}
              {event.userAgent ? ` · ${event.userAgent}` : ''}
            </p>
          </td>
        </tr>
      )}
    </Fragment>
  );
}
