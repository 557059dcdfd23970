'use client';

import { useState } from 'react';
import { api, errorMessage } from './api';
import type { Membership } from './identity-types';

/**
 * Switches the session's active tenant, then reloads the console on /runs so every page
 * (and the layout) reads the new tenant and role.
 */
export function TenantSwitcher({ current, memberships }: { current: string; memberships: Membership[] }) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function onChange(tenantId: string) {
    if (tenantId === current) return;
    setPending(true);
    setError(null);
    try {
      await api('/api/account/switch-tenant', { method: 'POST', body: { tenantId } });
      window.location.assign('/runs');
    } catch (err) {
      setError(errorMessage(err));
      setPending(false);
    }
  }

  return (
    <span className="tenant-switcher">
      <select aria-label="Tenant" value={current} onChange={(e) => void onChange(e.target.value)} disabled={pending} data-testid="tenant-switcher">
        {memberships.map((m) => (
          <option key={m.tenantId} value={m.tenantId}>
            {m.name}
          </option>
        ))}
      </select>
      {error && (
        <span role="alert" className="error-text small">
          {error}
        </span>
      )}
    </span>
  );
}
