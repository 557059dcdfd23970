'use client';

import { useId, useState, type FormEvent } from 'react';
import { api, errorMessage, fieldErrors } from './api';
import { ProblemAlert } from './problem-alert';
import type { Environment } from './types';

/**
 * Adds an environment. The API's PUT also changes an existing one, so a name already in the
 * list is refused here rather than silently changing its protection.
 */
export function EnvironmentCreateForm({ existing, onCreated }: { existing: readonly string[]; onCreated: (env: Environment) => void }) {
  const hintId = useId();
  const [error, setError] = useState<{ message: string; fields: string[] } | null>(null);
  const [created, setCreated] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const name = String(form.get('name') ?? '').trim();
    setCreated(null);
    if (existing.includes(name)) {
      setError({ message: `There is already an environment called ${name}.`, fields: [] });
      return;
    }
    setPending(true);
    setError(null);
    try {
      const env = await api<Environment>(`/api/v1/environments/${encodeURIComponent(name)}`, { method: 'PUT', body: { protected: form.get('protected') === 'on' } });
      onCreated(env);
      setCreated(`Environment ${env.name} added.`);
      formElement.reset();
    } catch (err) {
      setError({ message: errorMessage(err), fields: fieldErrors(err) });
    } finally {
      setPending(false);
    }
  }

  return (
    <form className="stack-tight" onSubmit={onSubmit} data-testid="environment-form" aria-labelledby="add-environment-title">
      {error && <ProblemAlert message={error.message} fields={error.fields} testId="environment-form-error" />}
      <div className="form-row">
        <label className="field">
          <span>Name</span>
          <input
            name="name"
            required
            maxLength={64}
            pattern="[a-z0-9][a-z0-9\-]*"
            title="Lowercase letters, digits and dashes"
            placeholder="staging"
            autoComplete="off"
            spellCheck={false}
            aria-describedby={hintId}
          />
        </label>
        <label className="checkbox">
          <input type="checkbox" name="protected" />
          <span>Deploys need an admin</span>
        </label>
        <button type="submit" className="button button-primary" disabled={pending}>
          {pending ? 'Adding…' : 'Add environment'}
        </button>
      </div>
      <p id={hintId} className="small muted">
        Lowercase letters, digits and dashes, e.g. <span className="mono">staging</span>.
      </p>
      <p className="small muted" role="status" data-testid="environment-created">
        {created ?? ''}
      </p>
    </form>
  );
}
