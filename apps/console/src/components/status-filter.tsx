'use client';

import { RUN_STATUSES, type RunStatus } from './types';

export function StatusFilter({ value, onChange }: { value: RunStatus | ''; onChange: (value: RunStatus | '') => void }) {
  return (
    <label className="field field-inline">
      <span>Status</span>
      <select value={value} onChange={(e) => onChange(e.target.value as RunStatus | '')} data-testid="status-filter">
        <option value="">All</option>
        {RUN_STATUSES.map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </select>
    </label>
  );
}
