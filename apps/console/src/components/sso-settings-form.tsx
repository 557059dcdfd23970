'use client';

import { useEffect, useId, useState, type FormEvent } from 'react';
import { Alert } from './alert';
import { api, ApiError, errorMessage, fieldErrors } from './api';
import { ConfirmButton } from './confirm-button';
import type { SsoConfig } from './identity-types';
import { ProblemAlert } from './problem-alert';

type Draft = { enabled: boolean; issuer: string; clientId: string; clientSecret: string; domains: string; defaultRole: string };

const draftOf = (config: SsoConfig | null, fallbackRole: string): Draft => ({
  enabled: config?.enabled ?? false,
  issuer: config?.issuer ?? '',
  clientId: config?.clientId ?? '',
  clientSecret: '',
  domains: config?.domains.join(', ') ?? '',
  defaultRole: config?.defaultRole ?? fallbackRole,
});

/** "acme.com, Acme.io ," → ["acme.com", "acme.io"]. */
const parseDomains = (value: string): string[] =>
  value
    .split(/[\s,]+/)
    .map((d) => d.trim().toLowerCase())
    .filter(Boolean);

/**
 * The tenant's OpenID Connect single sign-on: where its identity provider is, which email
 * domains sign in through it and the role new people get. The client secret is write-only.
 */
export function SsoSettingsForm({ slug, canWrite, roles }: { slug: string; canWrite: boolean; roles: readonly string[] }) {
  const fallbackRole = roles.includes('viewer') ? 'viewer' : (roles[roles.length - 1] ?? 'viewer');
  const [config, setConfig] = useState<SsoConfig | null | undefined>(undefined);
  const [draft, setDraft] = useState<Draft>(() => draftOf(null, fallbackRole));
  const [loadError, setLoadError] = useState<string | null>(null);
  const [error, setError] = useState<{ message: string; fields: string[] } | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const [origin, setOrigin] = useState('');
  const hintId = useId();

  useEffect(() => {
    setOrigin(window.location.origin);
    const controller = new AbortController();
    api<SsoConfig>('/api/v1/sso', { signal: controller.signal })
      .then((c) => {
        setConfig(c);
        setDraft(draftOf(c, fallbackRole));
      })
      .catch((err) => {
        if (controller.signal.aborted) return;
        if (err instanceof ApiError && err.status === 404) setConfig(null);
        else setLoadError(errorMessage(err));
      });
    return () => controller.abort();
  }, [fallbackRole]);

  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setPending(true);
    setError(null);
    setSaved(null);
    try {
      const body = {
        enabled: draft.enabled,
        issuer: draft.issuer.trim(),
        clientId: draft.clientId.trim(),
        ...(draft.clientSecret ? { clientSecret: draft.clientSecret } : {}),
        domains: parseDomains(draft.domains),
        defaultRole: draft.defaultRole,
      };
      const next = await api<SsoConfig>('/api/v1/sso', { method: 'PUT', body });
      setConfig(next);
      setDraft(draftOf(next, fallbackRole));
      setSaved('Single sign-on settings saved.');
    } catch (err) {
      setError({ message: errorMessage(err), fields: fieldErrors(err) });
    } finally {
      setPending(false);
    }
  }

  async function remove() {
    await api('/api/v1/sso', { method: 'DELETE' });
    setConfig(null);
    setDraft(draftOf(null, fallbackRole));
    setSaved('Single sign-on removed: everyone signs in with a password again.');
  }

  if (loadError) return <Alert>{loadError}</Alert>;
  if (config === undefined) return <p className="muted">Loading single sign-on settings…</p>;

  const redirectUri = config?.redirectUri ?? `${origin}/api/auth/callback/sso-${slug}`;
  return (
    <div className="stack">
      <section className="card stack-tight" aria-labelledby="idp-title" data-testid="sso-idp-info">
        <h2 id="idp-title">Register the console at your identity provider</h2>
        <p className="small muted">Create an OpenID Connect web application there with this redirect (callback) URI:</p>
        <code className="secret-value" data-testid="sso-redirect-uri">
          {redirectUri}
        </code>
        {config?.loginUrl && (
          <p className="small">
            Sign-in URL: <span className="mono" data-testid="sso-login-url">{config.loginUrl}</span>
          </p>
        )}
      </section>

      <form className="card stack" onSubmit={onSubmit} data-testid="sso-form" aria-labelledby="sso-title">
        <h2 id="sso-title">{config ? 'Identity provider' : 'Set up single sign-on'}</h2>
        {!canWrite && <Alert kind="info">Your role can view these settings but not change them.</Alert>}
        {error && <ProblemAlert message={error.message} fields={error.fields} testId="sso-error" />}
        <fieldset className="fieldset-plain stack" disabled={!canWrite || pending}>
          <label className="field">
            <span>Issuer URL</span>
            <input type="url" required value={draft.issuer} onChange={(e) => set('issuer', e.target.value)} placeholder="https://login.example.com/" />
          </label>
          <div className="form-row">
            <label className="field">
              <span>Client ID</span>
              <input required value={draft.clientId} onChange={(e) => set('clientId', e.target.value)} autoComplete="off" />
            </label>
            <label className="field">
              <span>Client secret</span>
              <input
                type="password"
                value={draft.clientSecret}
                onChange={(e) => set('clientSecret', e.target.value)}
                placeholder={config?.hasClientSecret ? '•••• (unchanged)' : ''}
                required={!config?.hasClientSecret}
                autoComplete="new-password"
              />
            </label>
          </div>
          <label className="field">
            <span>Email domains</span>
            <input value={draft.domains} onChange={(e) => set('domains', e.target.value)} placeholder="example.com, example.org" aria-describedby={hintId} required />
            <span id={hintId} className="small muted field-hint">
              Comma separated. People whose email is at one of these domains sign in through your identity provider.
            </span>
          </label>
          <label className="field">
            <span>Default role</span>
            <select value={draft.defaultRole} onChange={(e) => set('defaultRole', e.target.value)}>
              {[...new Set([...roles, draft.defaultRole])].map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
          <label className="checkbox">
            <input type="checkbox" checked={draft.enabled} onChange={(e) => set('enabled', e.target.checked)} />
            <span>Enabled</span>
          </label>
        </fieldset>
        <p className="small muted" role="status" data-testid="sso-saved">
          {saved ?? ''}
        </p>
        {canWrite && (
          <div className="page-actions">
            <button type="submit" className="button button-primary" disabled={pending}>
              {pending ? 'Checking the issuer…' : 'Save'}
            </button>
            {config && (
              <ConfirmButton confirm="Remove single sign-on? People at these domains sign in with a password again." label="Remove single sign-on" pendingText="Removing…" onConfirm={remove}>
                Remove
              </ConfirmButton>
            )}
          </div>
        )}
      </form>
    </div>
  );
}
