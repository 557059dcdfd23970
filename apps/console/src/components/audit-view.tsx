'use client';

import { Alert } from './alert';
import { AuditFilters } from './audit-filters';
import { auditQuery, type AuditFilterValues } from './audit-query';
import { AuditRow } from './audit-row';
import { AuditVerify } from './audit-verify';
import type { AuditEvent } from './identity-types';
import { LoadMore } from './load-more';
import { usePaged } from './use-paged';

/** The audit trail under the URL's filters, newest first, with exports and a chain check. */
export function AuditView({ filters }: { filters: AuditFilterValues }) {
  const query = auditQuery(filters);
  const events = usePaged<AuditEvent>(`/api/v1/audit?limit=50${query ? `&${query}` : ''}`);
  const exportHref = (format: 'jsonl' | 'csv') => `/api/v1/audit/export?format=${format}${query ? `&${query}` : ''}`;

  return (
    <div className="stack">
      <AuditFilters filters={filters} />
      <div className="toolbar">
        <p className="small page-actions" data-testid="audit-export">
          <span className="muted">Export {query ? 'matching events' : 'all events'}:</span>
          <a href={exportHref('jsonl')} download>
            JSON Lines
          </a>
          <a href={exportHref('csv')} download>
            CSV
          </a>
        </p>
        <AuditVerify />
      </div>
      {events.error && <Alert>{events.error}</Alert>}
      {events.items === null && !events.error && <p className="muted">Loading events…</p>}
      {events.items?.length === 0 && (
        <div className="empty" data-testid="audit-empty">
          {query ? 'No events match these filters.' : 'No events yet.'}
        </div>
      )}
      {events.items && events.items.length > 0 && (
        <div className="table-wrap">
          <table className="table" data-testid="audit-table">
            <caption className="sr-only">Audit events, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">IP</th>
                <th scope="col">Request ID</th>
                <th scope="col">
                  <span className="sr-only">Details</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {events.items.map((e) => (
                <AuditRow key={e.id} event={e} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore nextCursor={events.nextCursor} loading={events.loadingMore} onLoad={() => void events.loadMore()} />
    </div>
  );
}
