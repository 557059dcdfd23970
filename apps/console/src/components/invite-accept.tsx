'use client';

import Link from 'next/link';
import { signIn, signOut } from 'next-auth/react';
import { useEffect, useState, type FormEvent } from 'react';
import { Alert } from './alert';
import { api, ApiError, errorMessage, fieldErrors } from './api';
import { formatDateTime } from './format';
import type { AcceptedInvitation, Me, PublicInvitation } from './identity-types';
import { NewPasswordField } from './password-field';
import { ProblemAlert } from './problem-alert';
import { credentialsErrorMessage } from './sign-in-errors';

type Loaded = { invitation: PublicInvitation; me: Me | null };

function loadErrorMessage(err: unknown): string {
  if (err instanceof ApiError && err.status === 404) return 'This invitation link is not valid. Check that you opened the whole link from the email, or ask for a new invitation.';
  if (err instanceof ApiError && err.status === 410) return 'This invitation has expired, was already used or was revoked. Ask an admin of the organization to invite you again.';
  return errorMessage(err);
}

/** The signed-in person, or null when nobody is (a 401 here is not an error). */
async function whoAmI(): Promise<Me | null> {
  try {
    return await api<Me>('/api/v1/me', { redirectOn401: false });
  } catch {
    return null;
  }
}

/** Makes the invitation's organization the session's active one; the next page load shows it. */
async function switchTo(tenantId: string): Promise<void> {
  await api('/api/account/switch-tenant', { method: 'POST', body: { tenantId }, redirectOn401: false });
}

/**
 * An invitation link: who invites whom to what, then accept it as the signed-in person, with
 * the existing account's password, or by creating the account. Ends on /runs in that tenant
 * (a full navigation, so the console layout re-reads the session).
 */
export function InviteAccept({ token }: { token: string }) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [error, setError] = useState<{ message: string; fields: string[] } | null>(null);
  const [pending, setPending] = useState(false);

  useEffect(() => {
    const controller = new AbortController();
    Promise.all([api<PublicInvitation>(`/api/account/invitations/${encodeURIComponent(token)}`, { signal: controller.signal, redirectOn401: false }), whoAmI()])
      .then(([invitation, me]) => !controller.signal.aborted && setLoaded({ invitation, me }))
      .catch((err) => !controller.signal.aborted && setLoadError(loadErrorMessage(err)));
    return () => controller.abort();
  }, [token]);

  if (loadError) {
    return (
      <div className="stack">
        <Alert testId="invite-error">{loadError}</Alert>
        <p className="small public-links">
          <Link href="/login">Go to sign in</Link>
        </p>
      </div>
    );
  }
  if (!loaded) return <p className="muted">Loading invitation…</p>;

  const { invitation, me } = loaded;
  const signedInEmail = me?.user?.email ?? null;
  const signedInAsInvited = signedInEmail !== null && signedInEmail.toLowerCase() === invitation.email.toLowerCase();

  async function accept(body: Record<string, string>, signInPassword?: string) {
    setPending(true);
    setError(null);
    let accepted: AcceptedInvitation;
    try {
      accepted = await api<AcceptedInvitation>(`/api/account/invitations/${encodeURIComponent(token)}/accept`, { method: 'POST', body, redirectOn401: false });
    } catch (err) {
      setError({ message: loadErrorMessage(err), fields: fieldErrors(err) });
      setPending(false);
      return;
    }
    try {
      if (signInPassword !== undefined) {
        const result = await signIn('credentials', { email: invitation.email, password: signInPassword, redirect: false });
        if (!result || result.error || !result.ok) {
          setError({ message: `You joined ${accepted.tenant.name}, but signing in failed: ${credentialsErrorMessage(result?.error)}`, fields: [] });
          setPending(false);
          return;
        }
      }
      await switchTo(accepted.tenant.id);
    } catch {
      // Joined and signed in; the console opens on another organization, and the tenant switcher reaches this one.
    }
    window.location.assign('/runs');
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const password = String(form.get('password') ?? '');
    if (signedInAsInvited) void accept({});
    else if (invitation.accountExists) void accept({ password }, password);
    else void accept({ name: String(form.get('name') ?? '').trim(), password }, password);
  }

  return (
    <div className="stack">
      <div className="invite-summary" data-testid="invite-summary">
        <p className="invite-title">
          Join <strong data-testid="invite-tenant">{invitation.tenant.name}</strong> as <strong data-testid="invite-role">{invitation.role}</strong>
        </p>
        <p className="small muted">
          Invitation for <span data-testid="invite-email">{invitation.email}</span> · expires {formatDateTime(invitation.expiresAt)}
        </p>
      </div>
      {error && <ProblemAlert message={error.message} fields={error.fields} testId="invite-accept-error" />}
      {signedInEmail && !signedInAsInvited ? (
        <div className="stack" data-testid="invite-other-account">
          <Alert kind="warning">
            You are signed in as {signedInEmail}, but this invitation is for {invitation.email}. Sign out, then open the link again to accept it.
          </Alert>
          <button type="button" className="button" onClick={() => void signOut({ callbackUrl: `/invite/${encodeURIComponent(token)}` })}>
            Sign out
          </button>
        </div>
      ) : (
        <form className="stack" onSubmit={onSubmit}>
          {/* For password managers: the account this password belongs to. */}
          <input type="email" name="username" autoComplete="username" value={invitation.email} readOnly hidden />
          {signedInAsInvited && <p className="muted">You are signed in as {signedInEmail}.</p>}
          {!signedInAsInvited && invitation.accountExists && (
            <>
              <p className="muted">You already have an Orvanta account. Enter its password to join.</p>
              <label className="field">
                <span>Password</span>
                <input name="password" type="password" autoComplete="current-password" required autoFocus />
              </label>
            </>
          )}
          {!signedInAsInvited && !invitation.accountExists && (
            <>
              <p className="muted">Create your account to join.</p>
              <label className="field">
                <span>Your name</span>
                <input name="name" autoComplete="name" required autoFocus maxLength={200} />
              </label>
              <NewPasswordField />
            </>
          )}
          <button type="submit" className="button button-primary" disabled={pending} data-testid="invite-accept">
            {pending ? 'Joining…' : signedInAsInvited || invitation.accountExists ? 'Accept invitation' : 'Create account and join'}
          </button>
          {!signedInAsInvited && invitation.accountExists && (
            <p className="small public-links">
              <Link href="/forgot-password">Forgot your password?</Link>
            </p>
          )}
        </form>
      )}
    </div>
  );
}
