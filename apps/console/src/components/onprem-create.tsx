'use client';

import { useId, useState, type FormEvent, type KeyboardEvent } from 'react';
import { api, errorMessage, fieldErrors } from './api';
import { ConfirmButton } from './confirm-button';
import { ProblemAlert } from './problem-alert';
import { SecretBox } from './secret-box';

/**
 * On-prem data planes in the console: the creation dialog (name, optional public URL), the
 * one-time enrollment token with the three install forms, a new token for an existing one,
 * and revocation. The data-plane list mounts these; nothing here lists data planes.
 */

/** A data plane as GET /api/v1/data-planes answers it (the fields these components use). */
export interface DataPlaneSummary {
  id: string;
  name: string;
  kind: 'shared' | 'dedicated' | 'onprem';
  status: 'pending' | 'active' | 'revoked';
  connection: 'pending' | 'connected' | 'disconnected' | 'revoked';
}

/** POST /api/v1/data-planes and …/enrollment-token: the token and instructions, shown once. */
export interface DataPlaneEnrollment {
  dataPlane: DataPlaneSummary & Record<string, unknown>;
  enrollmentToken: string;
  expiresAt: string;
  install: { compose: string; helm: string; node: string };
}

const FORMS = [
  { id: 'compose', label: 'Docker Compose', hint: 'Save as orvanta-dataplane.yaml on the host, then run: docker compose -f orvanta-dataplane.yaml up -d' },
  { id: 'helm', label: 'Kubernetes (Helm)', hint: 'Run from the root of a checkout of the Orvanta repository, with a kubeconfig for the target cluster.' },
  { id: 'node', label: 'Single host', hint: "Run from the root of a checkout, with DATABASE_URL and REDIS_URL (this data plane's own Postgres and Redis) exported." },
] as const;
type FormId = (typeof FORMS)[number]['id'];

function CopyBlock({ text, label, testId }: { text: string; label: string; testId: string }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  }
  return (
    <div className="stack-tight">
      <div className="toolbar">
        <button type="button" className="button button-small" onClick={() => void copy()} data-testid={`${testId}-copy`}>
          Copy
        </button>
        <span className="small muted" role="status">
          {copied === 'yes' ? 'Copied to the clipboard.' : copied === 'failed' ? 'Copying is blocked here: select the text and copy it by hand.' : ''}
        </span>
      </div>
      <pre className="code" aria-label={label} tabIndex={0} data-testid={testId}>
        {text}
      </pre>
    </div>
  );
}

/** The one-time token and the three install forms, each with a copy button. */
export function EnrollmentInstructions({ enrollment, onDismiss }: { enrollment: DataPlaneEnrollment; onDismiss?: () => void }) {
  const [form, setForm] = useState<FormId>('compose');
  const base = useId();
  const tabId = (id: FormId) => `${base}-${id}`;
  const current = FORMS.find((f) => f.id === form)!;

  function onTabKey(event: KeyboardEvent<HTMLButtonElement>) {
    if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
    const i = FORMS.findIndex((f) => f.id === form);
    const next = FORMS[(i + (event.key === 'ArrowRight' ? 1 : FORMS.length - 1)) % FORMS.length]!;
    setForm(next.id);
    document.getElementById(tabId(next.id))?.focus();
  }

  return (
    <div className="stack" data-testid="onprem-enrollment">
      <p className="small">
        Install <strong>{enrollment.dataPlane.name}</strong> (<span className="mono">{enrollment.dataPlane.id}</span>) in your network with one of the forms below. It
        connects out to Orvanta over HTTPS and needs no inbound port for control. The token works once, until {new Date(enrollment.expiresAt).toLocaleString()}; each form
        already contains it.
      </p>
      <SecretBox secret={enrollment.enrollmentToken} label={`Enrollment token of ${enrollment.dataPlane.name}`} testId="onprem-token" />
      <div role="tablist" aria-label="Install with" className="editor-tabs">
        {FORMS.map((f) => (
          <button
            key={f.id}
            id={tabId(f.id)}
            type="button"
            role="tab"
            aria-selected={form === f.id}
            aria-controls={`${tabId(f.id)}-panel`}
            tabIndex={form === f.id ? 0 : -1}
            className="editor-tab"
            onClick={() => setForm(f.id)}
            onKeyDown={onTabKey}
            data-testid={`onprem-tab-${f.id}`}
          >
            {f.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${tabId(form)}-panel`} aria-labelledby={tabId(form)} className="stack-tight">
        <p className="small muted">{current.hint}</p>
        <CopyBlock text={enrollment.install[form]} label={`${current.label} install instructions`} testId={`onprem-install-${form}`} />
      </div>
      {onDismiss && (
        <div>
          <button type="button" className="button" onClick={onDismiss}>
            Done
          </button>
        </div>
      )}
    </div>
  );
}

/** Creates an on-prem data plane, then shows its token and install forms until dismissed. */
export function OnPremCreate({ onCreated }: { onCreated?: (enrollment: DataPlaneEnrollment) => void }) {
  const [error, setError] = useState<{ message: string; fields: string[] } | null>(null);
  const [pending, setPending] = useState(false);
  const [enrollment, setEnrollment] = useState<DataPlaneEnrollment | null>(null);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const publicUrl = String(form.get('publicUrl') ?? '').trim();
    setPending(true);
    setError(null);
    try {
      const created = await api<DataPlaneEnrollment>('/api/v1/data-planes', {
        method: 'POST',
        body: { kind: 'onprem', name: String(form.get('name') ?? '').trim(), ...(publicUrl ? { publicUrl } : {}) },
      });
      formElement.reset();
      setEnrollment(created);
      onCreated?.(created);
    } catch (err) {
      setError({ message: errorMessage(err), fields: fieldErrors(err) });
    } finally {
      setPending(false);
    }
  }

  if (enrollment) {
    return (
      <section className="card" aria-labelledby="onprem-created-title" data-testid="onprem-created">
        <h2 id="onprem-created-title">On-prem data plane {enrollment.dataPlane.name} created</h2>
        <EnrollmentInstructions enrollment={enrollment} onDismiss={() => setEnrollment(null)} />
      </section>
    );
  }

  return (
    <section className="card" aria-labelledby="onprem-create-title">
      <h2 id="onprem-create-title">Add an on-prem data plane</h2>
      <p className="small muted">Runs your workflows inside your own network; run data stays there. You get a one-time enrollment token and install instructions.</p>
      <form className="stack" onSubmit={onSubmit} data-testid="onprem-create-form">
        {error && <ProblemAlert message={error.message} fields={error.fields} testId="onprem-create-error" />}
        <div className="form-row">
          <label className="field">
            <span>Name</span>
            <input name="name" required maxLength={100} placeholder="Frankfurt rack 2" />
          </label>
          <label className="field">
            <span>Public URL (optional)</span>
            <input name="publicUrl" type="url" maxLength={500} placeholder="https://orvanta.internal.example" />
            <span className="field-hint small muted">Where browsers and webhook senders reach it; default http://localhost:3100.</span>
          </label>
        </div>
        <div>
          <button type="submit" className="button button-primary" disabled={pending}>
            {pending ? 'Creating…' : 'Create on-prem data plane'}
          </button>
        </div>
      </form>
    </section>
  );
}

/** Issues a new enrollment token (the unused one stops working) and shows the instructions. */
export function OnPremReissueButton({ dataPlane }: { dataPlane: DataPlaneSummary }) {
  const [enrollment, setEnrollment] = useState<DataPlaneEnrollment | null>(null);
  if (dataPlane.kind !== 'onprem' || dataPlane.status === 'revoked') return null;
  return (
    <>
      <ConfirmButton
        className="button button-small"
        confirm={`Issue a new enrollment token for ${dataPlane.name}? Any unused token stops working.`}
        label={`New enrollment token for ${dataPlane.name}`}
        pendingText="Issuing…"
        testId={`onprem-reissue-${dataPlane.id}`}
        onConfirm={async () => setEnrollment(await api<DataPlaneEnrollment>(`/api/v1/data-planes/${encodeURIComponent(dataPlane.id)}/enrollment-token`, { method: 'POST' }))}
      >
        New token
      </ConfirmButton>
      {enrollment && (
        <section className="card" aria-label={`New enrollment token for ${dataPlane.name}`}>
          <EnrollmentInstructions enrollment={enrollment} onDismiss={() => setEnrollment(null)} />
        </section>
      )}
    </>
  );
}

/** Revokes an on-prem data plane: it is refused at once and cannot enroll again. */
export function RevokeDataPlaneButton({ dataPlane, onRevoked }: { dataPlane: DataPlaneSummary; onRevoked: (revoked: DataPlaneSummary) => void }) {
  if (dataPlane.kind !== 'onprem') return null;
  if (dataPlane.status === 'revoked') return <span className="badge badge-key-revoked">Revoked</span>;
  return (
    <ConfirmButton
      confirm={`Revoke ${dataPlane.name}? It is refused at once, work queued for it is dropped, and it cannot enroll again.`}
      label={`Revoke ${dataPlane.name}`}
      pendingText="Revoking…"
      testId={`onprem-revoke-${dataPlane.id}`}
      onConfirm={async () => onRevoked(await api<DataPlaneSummary>(`/api/v1/data-planes/${encodeURIComponent(dataPlane.id)}/revoke`, { method: 'POST' }))}
    >
      Revoke
    </ConfirmButton>
  );
}
