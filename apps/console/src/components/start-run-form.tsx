'use client';

import { useRouter } from 'next/navigation';
import { useId, useState, type FormEvent } from 'react';
import { Alert } from './alert';
import { api, ApiError, errorMessage } from './api';
import type { Run } from './types';

/** Starts a run of the workflow's latest version with a JSON input, then opens it. */
export function StartRunForm({ workflowId }: { workflowId: string }) {
  const router = useRouter();
  const inputId = useId();
  const [input, setInput] = useState('{}');
  const [error, setError] = useState<{ message: string; fields?: string[] } | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    let parsed: unknown;
    try {
      parsed = input.trim() === '' ? undefined : JSON.parse(input);
    } catch (err) {
      setError({ message: `The input is not valid JSON: ${errorMessage(err)}` });
      return;
    }
    setPending(true);
    setError(null);
    try {
      const run = await api<Run>(`/api/v1/workflows/${encodeURIComponent(workflowId)}/runs`, { method: 'POST', body: parsed === undefined ? {} : { input: parsed } });
      router.push(`/runs/${run.id}`);
    } catch (err) {
      const fields = err instanceof ApiError ? err.problem?.errors?.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)) : undefined;
      setError({ message: errorMessage(err), fields });
      setPending(false);
    }
  }

  return (
    <form className="stack" onSubmit={onSubmit}>
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
