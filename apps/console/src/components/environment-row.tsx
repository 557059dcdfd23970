'use client';

import { useState } from 'react';
import { api, errorMessage } from './api';
import { formatDate } from './format';
import type { Environment } from './types';

/** One environment; with settings.write, a checkbox turns "deploys need an admin" on or off at once. */
export function EnvironmentRow({ environment, canWrite, onSaved }: { environment: Environment; canWrite: boolean; onSaved: (env: Environment) => void }) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function toggle(next: boolean) {
    setPending(true);
    setError(null);
    try {
      onSaved(await api<Environment>(`/api/v1/environments/${encodeURIComponent(environment.name)}`, { method: 'PUT', body: { protected: next } }));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setPending(false);
    }
  }

  return (
    <tr data-testid="environment-row" data-environment={environment.name} data-protected={environment.protected ? 'true' : 'false'}>
      <th scope="row" className="row-link">
        {environment.name}
      </th>
      <td>
        {canWrite ? (
          <label className="checkbox">
            <input
              type="checkbox"
              checked={environment.protected}
              disabled={pending}
              onChange={(e) => void toggle(e.target.checked)}
              aria-label={`Deploys to ${environment.name} need an admin`}
              data-testid="environment-protected"
            />
            <span aria-hidden="true">{environment.protected ? 'Yes' : 'No'}</span>
          </label>
        ) : (
          <span data-testid="environment-protected-text">{environment.protected ? 'Yes' : 'No'}</span>
        )}
        {error && (
          <div role="alert" className="error-text small cell-error">
            {error}
          </div>
        )}
      </td>
      <td>{formatDate(environment.createdAt)}</td>
    </tr>
  );
}
