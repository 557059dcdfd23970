'use client';

import { useState } from 'react';
import { api, errorMessage } from './api';
import { ConfirmButton } from './confirm-button';
import { formatDate } from './format';
import type { Member } from './identity-types';

/**
 * One member: their role (a select when the caller may change it) and a Remove button.
 * Like the API, the caller may change or remove only a member whose role they could grant
 * (every permission of it held; so only an owner touches an owner), and options the caller
 * cannot grant are disabled.
 */
export function MemberRow({
  member,
  canWrite,
  roles,
  assignable,
  onChanged,
  onRemoved,
}: {
  member: Member;
  canWrite: boolean;
  roles: readonly string[];
  assignable: readonly string[];
  onChanged: (member: Member) => void;
  onRemoved: (member: Member) => void;
}) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const editable = canWrite && assignable.includes(member.role);
  const path = `/api/v1/members/${encodeURIComponent(member.id)}`;

  async function changeRole(role: string) {
    if (role === member.role) return;
    setPending(true);
    setError(null);
    try {
      onChanged(await api<Member>(path, { method: 'PATCH', body: { role } }));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setPending(false);
    }
  }

  return (
    <tr data-testid="member-row" data-member-id={member.id} data-email={member.email}>
      <td>
        {member.name || '—'}
        {member.you && <span className="pill small">you</span>}
      </td>
      <td>{member.email}</td>
      <td>
        {editable ? (
          <select
            aria-label={`Role for ${member.email}`}
            value={member.role}
            onChange={(e) => void changeRole(e.target.value)}
            disabled={pending}
            data-testid="member-role"
          >
            {roles.map((r) => (
              <option key={r} value={r} disabled={r !== member.role && !assignable.includes(r)}>
                {r}
              </option>
            ))}
          </select>
        ) : (
          <span data-testid="member-role-text">{member.role}</span>
        )}
        {error && (
          <div role="alert" className="error-text small cell-error">
            {error}
          </div>
        )}
      </td>
      <td>{formatDate(member.createdAt)}</td>
      {canWrite && (
        <td className="actions">
          {editable && (
            <ConfirmButton
              confirm={
                member.you
                  ? 'Remove yourself from this organization? You will lose access to it at once.'
                  : `Remove ${member.email} from this organization? Their sessions here end and the API keys they created here are revoked at once.`
              }
              label={`Remove ${member.email}`}
              pendingText="Removing…"
              onConfirm={async () => {
                await api(path, { method: 'DELETE' });
                onRemoved(member);
              }}
            >
              Remove
            </ConfirmButton>
          )}
        </td>
      )}
    </tr>
  );
}
