'use client';

import Link from 'next/link';
import { useState, type FormEvent } from 'react';
import { Alert } from './alert';
import { api, errorMessage } from './api';

/** Asks for a reset link. The answer never says whether the account exists. */
export function ForgotPasswordForm() {
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const email = String(new FormData(event.currentTarget).get('email') ?? '').trim();
    setPending(true);
    setError(null);
    try {
      await api('/api/account/password-reset', { method: 'POST', body: { email }, redirectOn401: false });
      setSentTo(email);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setPending(false);
    }
  }

  if (sentTo) {
    return (
      <div className="stack">
        <Alert kind="info" testId="reset-requested">
          If an account exists for {sentTo}, we&apos;ve sent a link to reset its password. The link works for 1 hour.
        </Alert>
        <p className="small public-links">
          <Link href="/login">Back to sign in</Link>
        </p>
      </div>
    );
  }
  return (
    <>
      <form className="stack" onSubmit={onSubmit}>
        <p className="muted">Enter your account&apos;s email and we&apos;ll send you a link to choose a new password.</p>
        {error && <Alert testId="reset-error">{error}</Alert>}
        <label className="field">
          <span>Email</span>
          <input name="email" type="email" autoComplete="username" required autoFocus />
        </label>
        <button type="submit" className="button button-primary" disabled={pending}>
          {pending ? 'Sending…' : 'Send reset link'}
        </button>
      </form>
      <p className="small public-links">
        <Link href="/login">Back to sign in</Link>
      </p>
    </>
  );
}
