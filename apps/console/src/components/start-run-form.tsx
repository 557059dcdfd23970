'use client';

import { useRouter } from 'next/navigation';
import { useId, useRef, useState, type FormEvent } from 'react';
import { Alert } from './alert';
import { api, errorMessage, fieldErrors } from './api';
import { newIdempotencyKey } from './idempotency-key';
import type { Deployment, Environment, Run } from './types';

/**
 * Starts a run with a JSON input, then opens it: of the workflow's latest version, or of the
 * version live in a chosen environment. Each request carries an `Idempotency-Key` made once
 * per distinct submission, so a double click or a retry after a lost answer opens the run
 * already started instead of starting another.
 */
export function StartRunForm({
  workflowId,
  latestVersion,
  environments = null,
  live = null,
}: {
  workflowId: string;
  latestVersion?: number;
  environments?: readonly Environment[] | null;
  /** Environment → live deployment; `null` while unknown (nothing is disabled then). */
  live?: ReadonlyMap<string, Deployment> | null;
}) {
  const router = useRouter();
  const inputId = useId();
  const environmentHint = useId();
  const [input, setInput] = useState('{}');
  const [environment, setEnvironment] = useState('');
  const [error, setError] = useState<{ message: string; fields?: string[] } | null>(null);
  const [pending, setPending] = useState(false);
  // Set synchronously, so a second click before React re-renders does not send again.
  const submitting = useRef(false);
  // The key of the last request sent, reused while the request (input and environment) is the same.
  const attempt = useRef<{ request: string; key: string } | null>(null);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (submitting.current) return;
    let parsed: unknown;
    try {
      parsed = input.trim() === '' ? undefined : JSON.parse(input);
    } catch (err) {
      setError({ message: `The input is not valid JSON: ${errorMessage(err)}` });
      return;
    }
    const body = { ...(parsed === undefined ? {} : { input: parsed }), ...(environment ? { environment } : {}) };
    const request = JSON.stringify(body);
    if (attempt.current?.request !== request) attempt.current = { request, key: newIdempotencyKey() };
    submitting.current = true;
    setPending(true);
    setError(null);
    try {
      const run = await api<Run>(`/api/v1/workflows/${encodeURIComponent(workflowId)}/runs`, {
        method: 'POST',
        body,
        headers: { 'Idempotency-Key': attempt.current.key },
      });
      router.push(`/runs/${run.id}`);
    } catch (err) {
      const fields = fieldErrors(err);
      setError({ message: errorMessage(err), fields: fields.length > 0 ? fields : undefined });
      setPending(false);
      submitting.current = false;
    }
  }

  return (
    <form className="stack" onSubmit={onSubmit} data-testid="start-run-form">
      {environments && environments.length > 0 && (
        <div className="stack-tight field-narrow">
          <label className="field">
            <span>Environment (optional)</span>
            <select value={environment} onChange={(e) => setEnvironment(e.target.value)} data-testid="start-run-environment" aria-describedby={environmentHint}>
              <option value="">Latest version{latestVersion ? ` (v${latestVersion})` : ''}</option>
              {environments.map((env) => {
                const deployed = live?.get(env.name);
                const missing = live !== null && !deployed;
                return (
                  <option key={env.id} value={env.name} disabled={missing}>
                    {env.name}
                    {deployed ? ` (v${deployed.version} live)` : missing ? ' (nothing deployed)' : ''}
                  </option>
                );
              })}
            </select>
          </label>
          <span id={environmentHint} className="small muted">
            An environment runs the version live there; without one, the latest version runs.
          </span>
        </div>
      )}
      <label className="field" htmlFor={inputId}>
        <span>Input (JSON)</span>
      </label>
      <textarea
        id={inputId}
        className="code-input"
        value={input}
        onChange={(e) => setInput(e.target.value)}
        rows={6}
        spellCheck={false}
        data-testid="run-input-editor"
        aria-invalid={error ? true : undefined}
      />
      {error && (
        <Alert>
          {error.message}
          {error.fields && error.fields.length > 0 && (
            <ul>
              {error.fields.map((f) => (
                <li key={f}>{f}</li>
              ))}
            </ul>
          )}
        </Alert>
      )}
      <div>
        <button type="submit" className="button button-primary" disabled={pending} data-testid="start-run">
          {pending ? 'Starting…' : 'Run'}
        </button>
      </div>
    </form>
  );
}
