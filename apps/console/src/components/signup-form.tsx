'use client';

import Link from 'next/link';
import { signIn } from 'next-auth/react';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { api, errorMessage, fieldErrors } from './api';
import { NewPasswordField } from './password-field';
import { ProblemAlert } from './problem-alert';
import { credentialsErrorMessage } from './sign-in-errors';

/** Creates a person and their organization (they own it), then signs them in. */
export function SignupForm() {
  const router = useRouter();
  const [error, setError] = useState<{ message: string; fields: string[] } | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const body = {
      name: String(form.get('name') ?? '').trim(),
      email: String(form.get('email') ?? '').trim(),
      password: String(form.get('password') ?? ''),
      organization: String(form.get('organization') ?? '').trim(),
    };
    setPending(true);
    setError(null);
    try {
      await api('/api/account/signup', { method: 'POST', body, redirectOn401: false });
    } catch (err) {
      setError({ message: errorMessage(err), fields: fieldErrors(err) });
      setPending(false);
      return;
    }
    try {
      const result = await signIn('credentials', { email: body.email, password: body.password, redirect: false });
      if (!result || result.error || !result.ok) throw new Error(credentialsErrorMessage(result?.error));
      router.replace('/runs');
      router.refresh();
    } catch (err) {
      setError({ message: `Your organization was created, but signing in failed: ${errorMessage(err)} Sign in from the sign-in page.`, fields: [] });
      setPending(false);
    }
  }

  return (
    <>
      <form className="stack" onSubmit={onSubmit} data-testid="signup-form">
        {error && <ProblemAlert message={error.message} fields={error.fields} testId="signup-error" />}
        <label className="field">
          <span>Your name</span>
          <input name="name" autoComplete="name" required autoFocus maxLength={200} />
        </label>
        <label className="field">
          <span>Email</span>
          <input name="email" type="email" autoComplete="email" required />
        </label>
        <NewPasswordField />
        <label className="field">
          <span>Organization name</span>
          <input name="organization" autoComplete="organization" required maxLength={200} />
        </label>
        <button type="submit" className="button button-primary" disabled={pending}>
          {pending ? 'Creating…' : 'Create organization'}
        </button>
      </form>
      <p className="small public-links">
        <span>
          Already have an account? <Link href="/login">Sign in</Link>
        </span>
      </p>
    </>
  );
}
