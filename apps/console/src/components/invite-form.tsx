'use client';

import { useState, type FormEvent } from 'react';
import { api, errorMessage, fieldErrors } from './api';
import type { Invitation } from './identity-types';
import { ProblemAlert } from './problem-alert';

/** Invites someone by email to one of the roles the caller may grant. */
export function InviteForm({ roles, onInvited }: { roles: readonly string[]; onInvited: (invitation: Invitation) => void }) {
  const [error, setError] = useState<{ message: string; fields: string[] } | null>(null);
  const [sent, setSent] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const defaultRole = roles.includes('developer') ? 'developer' : roles[roles.length - 1];

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const body = { email: String(form.get('email') ?? '').trim(), role: String(form.get('role') ?? '') };
    setPending(true);
    setError(null);
    setSent(null);
    try {
      const invitation = await api<Invitation>('/api/v1/invitations', { method: 'POST', body });
      onInvited(invitation);
      setSent(invitation.email);
      formElement.reset();
    } catch (err) {
      setError({ message: errorMessage(err), fields: fieldErrors(err) });
    } finally {
      setPending(false);
    }
  }

  if (roles.length === 0) return <p className="muted small">Your role can&apos;t grant any role, so you can&apos;t invite anyone.</p>;
  return (
    <form className="stack" onSubmit={onSubmit} data-testid="invite-form">
      {error && <ProblemAlert message={error.message} fields={error.fields} testId="invite-form-error" />}
      <div className="form-row">
        <label className="field">
          <span>Email</span>
          <input name="email" type="email" required autoComplete="off" />
        </label>
        <label className="field">
          <span>Role</span>
          <select name="role" defaultValue={defaultRole}>
            {roles.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="button button-primary" disabled={pending}>
          {pending ? 'Inviting…' : 'Send invitation'}
        </button>
      </div>
      <p className="small muted" role="status" data-testid="invite-sent">
        {sent ? `Invitation sent to ${sent}. The link works for 7 days.` : ''}
      </p>
    </form>
  );
}
