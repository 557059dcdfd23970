'use client';

import { useState, type FormEvent } from 'react';
import { api, errorMessage, fieldErrors } from './api';
import type { CreatedApiKey } from './identity-types';
import { ProblemAlert } from './problem-alert';

/** The end of the chosen day, local time, as ISO: a key "expiring on" a date works all that day. */
function endOfDay(date: string): string {
  return new Date(`${date}T23:59:59`).toISOString();
}

function tomorrow(): string {
  const d = new Date(Date.now() + 86_400_000);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** Creates an API key with a subset of the caller's own permissions as its scopes. */
export function ApiKeyCreateForm({ scopes, onCreated }: { scopes: readonly string[]; onCreated: (key: CreatedApiKey) => void }) {
  const [error, setError] = useState<{ message: string; fields: string[] } | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const chosen = form.getAll('scopes').map(String);
    if (chosen.length === 0) {
      setError({ message: 'Choose at least one scope.', fields: [] });
      return;
    }
    const expires = String(form.get('expiresAt') ?? '');
    const environment = String(form.get('environment') ?? '').trim();
    const body = {
      name: String(form.get('name') ?? '').trim(),
      scopes: chosen,
      ...(expires ? { expiresAt: endOfDay(expires) } : {}),
      ...(environment ? { environment } : {}),
    };
    setPending(true);
    setError(null);
    try {
      onCreated(await api<CreatedApiKey>('/api/v1/api-keys', { method: 'POST', body }));
      formElement.reset();
    } catch (err) {
      setError({ message: errorMessage(err), fields: fieldErrors(err) });
    } finally {
      setPending(false);
    }
  }

  return (
    <form className="stack" onSubmit={onSubmit} data-testid="api-key-form">
      {error && <ProblemAlert message={error.message} fields={error.fields} testId="api-key-form-error" />}
      <div className="form-row">
        <label className="field">
          <span>Name</span>
          <input name="name" required maxLength={100} placeholder="CI deploys" />
        </label>
        <label className="field">
          <span>Environment (optional)</span>
          <input name="environment" maxLength={64} placeholder="production" pattern="[a-z0-9][a-z0-9\-]*" title="Lowercase letters, digits and dashes" />
        </label>
        <label className="field">
          <span>Expires on (optional)</span>
          <input name="expiresAt" type="date" min={tomorrow()} />
        </label>
      </div>
      <fieldset className="fieldset">
        <legend>Scopes</legend>
        <p className="small muted">A key can do only what its scopes allow, and you can grant only permissions you hold.</p>
        <div className="checkbox-grid">
          {scopes.map((scope) => (
            <label key={scope} className="checkbox">
              <input type="checkbox" name="scopes" value={scope} />
              <span className="mono">{scope}</span>
            </label>
          ))}
        </div>
      </fieldset>
      <div>
        <button type="submit" className="button button-primary" disabled={pending}>
          {pending ? 'Creating…' : 'Create API key'}
        </button>
      </div>
    </form>
  );
}
