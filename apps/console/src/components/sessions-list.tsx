'use client';

import { signOut } from 'next-auth/react';
import { useEffect, useState } from 'react';
import { Alert } from './alert';
import { api, errorMessage } from './api';
import { ConfirmButton } from './confirm-button';
import { formatDateTime } from './format';
import type { ConsoleSessionInfo, Membership } from './identity-types';
import { ColumnHeaders } from './column-headers';

/** Your own active console sessions; revoking one ends it at once (the current one signs you out). */
export function SessionsList({ memberships }: { memberships: Membership[] }) {
  const [sessions, setSessions] = useState<ConsoleSessionInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const tenantName = (id: string) => memberships.find((m) => m.tenantId === id)?.name ?? id;

  useEffect(() => {
    const controller = new AbortController();
    api<{ data: ConsoleSessionInfo[] }>('/api/v1/sessions', { signal: controller.signal })
      .then((page) => setSessions(page.data))
      .catch((err) => !controller.signal.aborted && setError(errorMessage(err)));
    return () => controller.abort();
  }, []);

  async function revoke(session: ConsoleSessionInfo) {
    await api(`/api/v1/sessions/${encodeURIComponent(session.id)}`, { method: 'DELETE' });
    if (session.current) {
      await signOut({ callbackUrl: '/login' });
      return;
    }
    setSessions((prev) => prev?.filter((s) => s.id !== session.id) ?? null);
  }

  if (error) return <Alert>{error}</Alert>;
  if (!sessions) return <p className="muted">Loading sessions…</p>;
  if (sessions.length === 0) return <p className="muted">No active sessions.</p>;
  return (
    <div className="table-wrap">
      <table className="table" data-testid="sessions-table">
        <caption className="sr-only">Your active sessions</caption>
        <thead>
          <ColumnHeaders columns={['Device', 'IP', 'Organization', 'Signed in', 'Last seen', 'Expires']} actions />
        </thead>
        <tbody>
          {sessions.map((s) => (
            <tr key={s.id} data-testid="session-row" data-session-id={s.id} data-current={s.current ? 'true' : undefined}>
              <td className="wrap">
                <span className="small">{s.userAgent ?? 'Unknown device'}</span>
                {s.method && <span className="small muted"> · {s.method === 'sso' ? 'single sign-on' : s.method}</span>}
                {s.current && (
                  <span className="pill small" data-testid="session-current">
                    this session
                  </span>
                )}
              </td>
              <td className="mono small">{s.ip ?? '—'}</td>
              <td>{tenantName(s.tenantId)}</td>
              <td>{formatDateTime(s.createdAt)}</td>
              <td>{formatDateTime(s.lastSeenAt)}</td>
              <td>{formatDateTime(s.expiresAt)}</td>
              <td className="actions">
                <ConfirmButton
                  confirm={s.current ? 'Revoke this session? You will be signed out.' : 'Revoke this session? That browser is signed out at once.'}
                  label={s.current ? 'Revoke this session (sign out)' : `Revoke session from ${s.userAgent ?? 'unknown device'} (${s.ip ?? 'unknown IP'})`}
                  pendingText="Revoking…"
                  onConfirm={() => revoke(s)}
                >
                  Revoke
                </ConfirmButton>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
