'use client';

import Link from 'next/link';
import { useState, type FormEvent } from 'react';
import { Alert } from './alert';
import { api, errorMessage, fieldErrors } from './api';
import { NewPasswordField } from './password-field';
import { ProblemAlert } from './problem-alert';

/** Sets a new password with the emailed token; every session of the account ends. */
export function ResetPasswordForm({ token }: { token: string }) {
  const [done, setDone] = useState(false);
  const [error, setError] = useState<{ message: string; fields: string[] } | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const password = String(form.get('password') ?? '');
    if (password !== String(form.get('confirm') ?? '')) {
      setError({ message: 'The two passwords do not match.', fields: [] });
      return;
    }
    setPending(true);
    setError(null);
    try {
      await api('/api/account/password-reset/confirm', { method: 'POST', body: { token, password }, redirectOn401: false });
      setDone(true);
    } catch (err) {
      setError({ message: errorMessage(err), fields: fieldErrors(err) });
    } finally {
      setPending(false);
    }
  }

  if (done) {
    return (
      <div className="stack">
        <Alert kind="info" testId="password-reset-done">
          Your password has been changed and you have been signed out everywhere.
        </Alert>
        <Link href="/login" className="button button-primary">
          Go to sign in
        </Link>
      </div>
    );
  }
  return (
    <>
      <form className="stack" onSubmit={onSubmit}>
        {error && <ProblemAlert message={error.message} fields={error.fields} testId="reset-error" />}
        <NewPasswordField label="New password" />
        <label className="field">
          <span>Confirm password</span>
          <input name="confirm" type="password" autoComplete="new-password" required />
        </label>
        <button type="submit" className="button button-primary" disabled={pending}>
          {pending ? 'Saving…' : 'Set new password'}
        </button>
      </form>
      <p className="small public-links">
        <Link href="/forgot-password">Request a new link</Link>
      </p>
    </>
  );
}
