'use client';

import Link from 'next/link';
import { getCsrfToken, signIn } from 'next-auth/react';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { Alert } from './alert';
import { api } from './api';
import type { SsoLookup } from './identity-types';
import { credentialsErrorMessage } from './sign-in-errors';

/** Is this email's organization on single sign-on? A lookup failure falls back to the password. */
async function ssoFor(email: string): Promise<SsoLookup> {
  try {
    return await api<SsoLookup>(`/api/account/sso?email=${encodeURIComponent(email)}`, { redirectOn401: false });
  } catch {
    return { sso: false };
  }
}

/**
 * Leaves for the organization's identity provider. This is what `signIn(providerId, { callbackUrl })`
 * does, minus its check against /api/auth/providers: the SSO provider exists only on its own
 * /api/auth/{signin,callback}/sso-<slug> paths, so that list never has it.
 */
async function startSso(providerId: string, callbackUrl: string): Promise<void> {
  const csrfToken = (await getCsrfToken()) ?? '';
  const response = await fetch(`/api/auth/signin/${encodeURIComponent(providerId)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrfToken, callbackUrl, json: 'true' }),
  });
  const { url } = (await response.json()) as { url?: string };
  if (!url) throw new Error('no redirect');
  window.location.href = url;
}

/**
 * Email + password sign-in; an email whose organization uses single sign-on goes to its
 * identity provider instead. On success goes to `callbackUrl` (a path on this console).
 */
export function LoginForm({ callbackUrl, initialError }: { callbackUrl: string; initialError?: string | null }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(initialError ?? null);
  const [ssoTenant, setSsoTenant] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = String(form.get('email') ?? '').trim();
    const password = String(form.get('password') ?? '');
    setPending(true);
    setError(null);
    setSsoTenant(null);
    try {
      const lookup = await ssoFor(email);
      if (lookup.sso) {
        setSsoTenant(lookup.tenant.name);
        await startSso(lookup.providerId, callbackUrl);
        return;
      }
      if (!password) {
        setError('Enter your password.');
        setPending(false);
        return;
      }
      const result = await signIn('credentials', { email, password, redirect: false });
      if (!result || result.error || !result.ok) {
        setError(credentialsErrorMessage(result?.error));
        setPending(false);
        return;
      }
      router.replace(callbackUrl);
      router.refresh();
    } catch {
      setError('Sign-in is unavailable right now. Try again in a moment.');
      setSsoTenant(null);
      setPending(false);
    }
  }

  return (
    <>
      <form className="stack" onSubmit={onSubmit} aria-describedby={error ? 'login-error' : undefined}>
        {error && (
          <div id="login-error">
            <Alert testId="login-error">{error}</Alert>
          </div>
        )}
        {ssoTenant && (
          <Alert kind="info" testId="sso-note">
            Your organization signs in with single sign-on ({ssoTenant}). Taking you to its sign-in page…
          </Alert>
        )}
        <label className="field">
          <span>Email</span>
          <input name="email" type="email" autoComplete="username" required autoFocus />
        </label>
        <label className="field">
          <span>Password</span>
          <input name="password" type="password" autoComplete="current-password" />
        </label>
        <button type="submit" className="button button-primary" disabled={pending}>
          {ssoTenant ? 'Redirecting…' : pending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p className="small public-links">
        <Link href="/forgot-password">Forgot your password?</Link>
        <span>
          New to Orvanta? <Link href="/signup">Create an organization</Link>
        </span>
      </p>
    </>
  );
}
