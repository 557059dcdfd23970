'use client';

import { useId, useState, type FormEvent } from 'react';
import { api, errorMessage, fieldErrors } from './api';
import { ProblemAlert } from './problem-alert';
import type { Secret } from './types';

/** The API's rule (secrets/service.ts): upper-case letters, digits and "_", starting with a letter, at most 64. */
const NAME_PATTERN = '[A-Z][A-Z0-9_]{0,63}';

/**
 * Sets a secret: creates it, or gives it a new value and version. The value goes to the API
 * once and is cleared from the form as soon as it is saved; nothing can read it back.
 */
export function SecretForm({ onSaved }: { onSaved: (secret: Secret) => void }) {
  const nameHint = useId();
  const valueHint = useId();
  const planeHint = useId();
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [dataPlaneId, setDataPlaneId] = useState('');
  const [error, setError] = useState<{ message: string; fields: string[] } | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const plane = dataPlaneId.trim();
    setPending(true);
    setError(null);
    setSaved(null);
    try {
      const secret = await api<Secret>(`/api/v1/secrets/${encodeURIComponent(name.trim())}`, { method: 'PUT', body: { value, ...(plane ? { dataPlaneId: plane } : {}) } });
      setValue('');
      setSaved(`Saved (version ${secret.version})`);
      onSaved(secret);
    } catch (err) {
      setError({ message: errorMessage(err), fields: fieldErrors(err) });
    } finally {
      setPending(false);
    }
  }

  return (
    <form className="stack" onSubmit={onSubmit} data-testid="secret-form">
      {error && <ProblemAlert message={error.message} fields={error.fields} testId="secret-form-error" />}
      <div className="form-row form-row-top">
        <label className="field">
          <span>Name</span>
          <input
            name="name"
            className="mono"
            required
            maxLength={64}
            pattern={NAME_PATTERN}
            title="Upper-case letters, digits and _, starting with a letter"
            placeholder="STRIPE_KEY"
            autoComplete="off"
            spellCheck={false}
            value={name}
            onChange={(e) => setName(e.target.value.toUpperCase())}
            aria-describedby={nameHint}
          />
          <span id={nameHint} className="small muted field-hint">
            Upper-case letters, digits and _, starting with a letter. Setting an existing one gives it a new version.
          </span>
        </label>
        <label className="field">
          <span>Data plane (optional)</span>
          <input
            name="dataPlaneId"
            className="mono"
            maxLength={64}
            placeholder="home data plane"
            autoComplete="off"
            spellCheck={false}
            value={dataPlaneId}
            onChange={(e) => setDataPlaneId(e.target.value)}
            aria-describedby={planeHint}
          />
          <span id={planeHint} className="small muted field-hint">
            An id; leave empty for this organization&apos;s home one.
          </span>
        </label>
      </div>
      <label className="field">
        <span>Value</span>
        <input
          name="value"
          type="password"
          required
          autoComplete="off"
          spellCheck={false}
          value={value}
          onChange={(e) => setValue(e.target.value)}
          aria-describedby={valueHint}
          data-testid="secret-value"
        />
        <span id={valueHint} className="small muted field-hint">
          Write-only: never shown again, not even to you. One line (line breaks are dropped), at most 64 KiB.
        </span>
      </label>
      <div className="page-actions">
        <button type="submit" className="button button-primary" disabled={pending}>
          {pending ? 'Saving…' : 'Save secret'}
        </button>
        <p className="small muted" role="status" data-testid="secret-saved">
          {saved ?? ''}
        </p>
      </div>
    </form>
  );
}
