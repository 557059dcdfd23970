'use client';

import { useState } from 'react';
import { api } from './api';
import { ConfirmButton } from './confirm-button';
import { formatActor, formatDate, formatDateTime, formatRelative } from './format';
import type { ApiKey, CreatedApiKey } from './identity-types';

export const GRACE_PERIODS = [
  { seconds: 0, label: 'now' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 86_400, label: '24 hours' },
  { seconds: 7 * 86_400, label: '7 days' },
] as const;

/** One API key; with api_keys.write an active key can be rotated (with a grace period) or revoked. */
export function ApiKeyRow({ apiKey, canWrite, onRevoked, onRotated }: { apiKey: ApiKey; canWrite: boolean; onRevoked: () => void; onRotated: (key: CreatedApiKey) => void }) {
  const [grace, setGrace] = useState(86_400);
  const path = `/api/v1/api-keys/${encodeURIComponent(apiKey.id)}`;
  const active = apiKey.status === 'active';
  const graceLabel = GRACE_PERIODS.find((g) => g.seconds === grace)?.label ?? `${grace} s`;

  return (
    <tr data-testid="api-key-row" data-key-id={apiKey.id} data-name={apiKey.name} data-status={apiKey.status}>
      <td className="row-link">{apiKey.name}</td>
      <td className="mono">{apiKey.prefix}…</td>
      <td>
        {apiKey.scopes.length === 0 ? (
          '—'
        ) : (
          <ul className="scopes" aria-label={`Scopes of ${apiKey.name}`}>
            {apiKey.scopes.map((s) => (
              <li key={s} className="mono small">
                {s}
              </li>
            ))}
          </ul>
        )}
      </td>
      <td>{apiKey.environment || '—'}</td>
      <td>{formatActor(apiKey.createdBy)}</td>
      <td title={apiKey.lastUsedAt ? formatDateTime(apiKey.lastUsedAt) : undefined}>{apiKey.lastUsedAt ? formatRelative(apiKey.lastUsedAt) : 'Never'}</td>
      <td>{apiKey.expiresAt ? formatDate(apiKey.expiresAt) : 'Never'}</td>
      <td>
        <span className={`badge badge-key-${apiKey.status}`} data-testid="api-key-status">
          {apiKey.status}
        </span>
      </td>
      {canWrite && (
        <td className="actions">
          {active && (
            <span className="row-actions">
              <span className="small muted" aria-hidden="true">
                grace
              </span>
              <select aria-label={`Grace period for ${apiKey.name}`} title="How long the old secret keeps working after rotation" value={grace} onChange={(e) => setGrace(Number(e.target.value))} className="select-small">
                {GRACE_PERIODS.map((g) => (
                  <option key={g.seconds} value={g.seconds}>
                    {g.label}
                  </option>
                ))}
              </select>
              <ConfirmButton
                className="button button-small"
                confirm={`Rotate ${apiKey.name}? A new secret is issued; the old one stops working ${grace === 0 ? 'at once' : `in ${graceLabel}`}.`}
                label={`Rotate ${apiKey.name}`}
                pendingText="Rotating…"
                onConfirm={async () => onRotated(await api<CreatedApiKey>(`${path}/rotate`, { method: 'POST', body: { gracePeriodSeconds: grace } }))}
              >
                Rotate
              </ConfirmButton>
              <ConfirmButton
                confirm={`Revoke ${apiKey.name}? Anything using it stops working at once.`}
                label={`Revoke ${apiKey.name}`}
                pendingText="Revoking…"
                onConfirm={async () => {
                  await api(path, { method: 'DELETE' });
                  onRevoked();
                }}
              >
                Revoke
              </ConfirmButton>
            </span>
          )}
        </td>
      )}
    </tr>
  );
}
