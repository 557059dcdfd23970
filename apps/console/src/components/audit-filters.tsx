'use client';

import { useRouter } from 'next/navigation';
import type { FormEvent } from 'react';
import { auditQuery, type AuditFilterName, type AuditFilterValues } from './audit-query';

/**
 * ISO instant → the `datetime-local` input's "YYYY-MM-DDTHH:mm", in UTC: audit times are
 * compared in UTC, and the server and the browser render the same value.
 */
function toUtcInput(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().slice(0, 16);
}

const TEXT_FILTERS: { name: AuditFilterName; label: string; placeholder: string }[] = [
  { name: 'actor', label: 'Actor', placeholder: 'ada@example.com, user:usr_…, system' },
  { name: 'action', label: 'Action', placeholder: 'member.role_changed, or member.' },
  { name: 'targetType', label: 'Target type', placeholder: 'member' },
  { name: 'targetId', label: 'Target ID', placeholder: 'mem_…' },
];

/** The audit filters; applying them changes the URL, so a filtered view can be shared. */
export function AuditFilters({ filters }: { filters: AuditFilterValues }) {
  const router = useRouter();

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const next: AuditFilterValues = {};
    for (const { name } of TEXT_FILTERS) next[name] = String(form.get(name) ?? '').trim();
    for (const name of ['from', 'to'] as const) {
      const local = String(form.get(name) ?? '');
      next[name] = local ? new Date(`${local}:00Z`).toISOString() : '';
    }
    const query = auditQuery(next);
    router.push(query ? `/audit?${query}` : '/audit');
  }

  return (
    <form className="card filters" onSubmit={onSubmit} data-testid="audit-filters" key={auditQuery(filters)}>
      <div className="filters-grid">
        {TEXT_FILTERS.map(({ name, label, placeholder }) => (
          <label key={name} className="field">
            <span>{label}</span>
            <input name={name} defaultValue={filters[name] ?? ''} placeholder={placeholder} />
          </label>
        ))}
        <label className="field">
          <span>From (UTC)</span>
          <input name="from" type="datetime-local" defaultValue={toUtcInput(filters.from)} />
        </label>
        <label className="field">
          <span>To (UTC)</span>
          <input name="to" type="datetime-local" defaultValue={toUtcInput(filters.to)} />
        </label>
      </div>
      <div className="page-actions">
        <button type="submit" className="button button-primary">
          Apply filters
        </button>
        <button type="button" className="button button-quiet" onClick={() => router.push('/audit')}>
          Clear
        </button>
      </div>
    </form>
  );
}
