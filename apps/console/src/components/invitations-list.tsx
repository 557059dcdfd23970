'use client';

import { api } from './api';
import { ConfirmButton } from './confirm-button';
import { formatActor, formatDateTime } from './format';
import type { Invitation } from './identity-types';
import { ColumnHeaders } from './column-headers';

/** Pending invitations; with `canWrite` each can be revoked (its link stops working). */
export function InvitationsList({ invitations, canWrite, onRevoked }: { invitations: Invitation[]; canWrite: boolean; onRevoked: (invitation: Invitation) => void }) {
  if (invitations.length === 0) {
    return (
      <p className="muted small" data-testid="invitations-empty">
        No pending invitations.
      </p>
    );
  }
  return (
    <div className="table-wrap">
      <table className="table" data-testid="invitations-table">
        <caption className="sr-only">Pending invitations</caption>
        <thead>
          <ColumnHeaders columns={['Email', 'Role', 'Invited by', 'Expires']} actions={canWrite} />
        </thead>
        <tbody>
          {invitations.map((inv) => (
            <tr key={inv.id} data-testid="invitation-row" data-invitation-id={inv.id} data-email={inv.email}>
              <td>{inv.email}</td>
              <td>{inv.role}</td>
              <td>{inv.invitedBy ? formatActor({ type: 'user', ...inv.invitedBy }) : '—'}</td>
              <td>{formatDateTime(inv.expiresAt)}</td>
              {canWrite && (
                <td className="actions">
                  <ConfirmButton
                    confirm={`Revoke the invitation for ${inv.email}? The link stops working.`}
                    label={`Revoke invitation for ${inv.email}`}
                    pendingText="Revoking…"
                    onConfirm={async () => {
                      await api(`/api/v1/invitations/${encodeURIComponent(inv.id)}`, { method: 'DELETE' });
                      onRevoked(inv);
                    }}
                  >
                    Revoke
                  </ConfirmButton>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
