'use client';

import { useRef, useState, type FormEvent } from 'react';
import { Alert } from './alert';
import { api, errorMessage, fieldErrors } from './api';
import { ConfirmButton } from './confirm-button';
import { formatDateTime, formatRelative } from './format';
import { ProblemAlert } from './problem-alert';
import { usePolling } from './use-polling';

export type DedicatedState = 'requested' | 'provisioning' | 'enrolling' | 'ready' | 'failed' | 'cancelled' | 'draining' | 'decommissioned';

export interface DedicatedRegion {
  id: string;
  location: string;
  size: 'small' | 'medium' | 'large';
  driver: string;
  state: DedicatedState;
  steps: { step: string; at: string; detail?: string }[];
  error: string | null;
  dataPlaneId: string | null;
  dataPlane: { id: string; connection: string; publicUrl: string | null } | null;
  createdAt: string;
}

interface Provisioner {
  driver: string;
  available: boolean;
  detail: string | null;
}

const WORKING: DedicatedState[] = ['requested', 'provisioning', 'enrolling', 'draining'];
/** Dedicated-region states drawn with the run badges' colours (the text is the state itself). */
const BADGE: Record<DedicatedState, string> = {
  requested: 'queued',
  provisioning: 'running',
  enrolling: 'running',
  ready: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
  draining: 'running',
  decommissioned: 'cancelled',
};

export function DedicatedStateBadge({ state }: { state: DedicatedState }) {
  return (
    <span className={`badge badge-${BADGE[state]}`} data-testid="dedicated-state" data-state={state}>
      {state}
    </span>
  );
}

/**
 * The tenant's dedicated regions with each one's steps as they happen (polled while one is
 * being set up or drained), a form to request one, and cancel / retry / decommission.
 */
export function DedicatedRegions({ regions, canWrite, onChanged }: { regions: { id: string; name: string }[]; canWrite: boolean; onChanged: () => void }) {
  const [items, setItems] = useState<DedicatedRegion[] | null>(null);
  const [provisioner, setProvisioner] = useState<Provisioner | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [error, setError] = useState<{ message: string; fields: string[] } | null>(null);
  const [pending, setPending] = useState(false);
  const [location, setLocation] = useState('');
  const [size, setSize] = useState('small');
  const [refresh, setRefresh] = useState(0);
  const working = items?.some((r) => WORKING.includes(r.state)) ?? false;
  const previous = useRef<DedicatedRegion[] | null>(null);

  async function load(signal?: AbortSignal) {
    try {
      const page = await api<{ data: DedicatedRegion[]; provisioner: Provisioner }>('/api/v1/dedicated-regions', { signal });
      // A region that changed state (became ready, went away) changes the data planes list too.
      const before = previous.current;
      previous.current = page.data;
      if (before && page.data.some((r) => before.find((p) => p.id === r.id)?.state !== r.state)) onChanged();
      setItems(page.data);
      setProvisioner(page.provisioner);
      setLoadError(null);
    } catch (err) {
      if (!signal?.aborted) setLoadError(errorMessage(err));
    }
  }
  usePolling(async (signal) => {
    await load(signal);
  }, working ? 1500 : 15_000, { key: String(refresh) });

  async function act(path: string, method: 'POST' | 'DELETE') {
    await api(path, { method });
    setRefresh((n) => n + 1);
  }

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setPending(true);
    setError(null);
    try {
      const created = await api<DedicatedRegion>('/api/v1/dedicated-regions', { method: 'POST', body: { location: location || regions[0]?.id, size } });
      setItems((prev) => [created, ...(prev ?? [])]);
      setRefresh((n) => n + 1);
    } catch (err) {
      setError({ message: errorMessage(err), fields: fieldErrors(err) });
    } finally {
      setPending(false);
    }
  }

  return (
    <section className="card stack" aria-labelledby="dedicated-title" data-testid="dedicated-regions">
      <div>
        <h2 id="dedicated-title">Dedicated regions</h2>
        <p className="small muted">A data plane for this organization alone: its own database, queues and workers, in the region you choose. Part of the enterprise plan.</p>
      </div>
      {provisioner && !provisioner.available && (
        <Alert kind="warning" testId="provisioner-unavailable">
          New dedicated regions cannot be provisioned here: {provisioner.detail}
        </Alert>
      )}
      {loadError && <Alert>{loadError}</Alert>}
      {items === null && !loadError && <p className="muted">Loading dedicated regions…</p>}
      {items?.length === 0 && <p className="muted">No dedicated regions yet.</p>}
      {items && items.length > 0 && (
        <ul className="stack-tight" data-testid="dedicated-list">
          {items.map((r) => (
            <li key={r.id} className="card stack-tight" data-testid="dedicated-region" data-id={r.id} data-state={r.state}>
              <div className="form-row">
                <strong className="mono">{r.id}</strong>
                <DedicatedStateBadge state={r.state} />
                <span className="small muted">
                  {r.size} in {r.location} · {r.driver} driver · requested {formatRelative(r.createdAt)}
                </span>
                {r.dataPlaneId && (
                  <span className="small">
                    data plane <span className="mono" data-testid="dedicated-data-plane">{r.dataPlaneId}</span>
                    {r.dataPlane?.publicUrl ? ` at ${r.dataPlane.publicUrl}` : ''}
                  </span>
                )}
              </div>
              {r.error && <Alert testId="dedicated-error">{r.error}</Alert>}
              <details open={WORKING.includes(r.state) || r.state === 'failed'}>
                <summary className="small">
                  {r.steps.length} steps · last: {r.steps.at(-1)?.step}
                </summary>
                <ol className="small" data-testid="dedicated-steps">
                  {r.steps.map((s, i) => (
                    <li key={i}>
                      <span className="mono">{s.step}</span> <span className="muted">{formatDateTime(s.at)}</span>
                      {s.detail ? ` — ${s.detail}` : ''}
                    </li>
                  ))}
                </ol>
              </details>
              {canWrite && (
                <div className="form-row">
                  {['requested', 'provisioning', 'enrolling'].includes(r.state) && (
                    <ConfirmButton confirm={`Cancel ${r.id}? What was created so far is removed.`} onConfirm={() => act(`/api/v1/dedicated-regions/${r.id}/cancel`, 'POST')} testId="dedicated-cancel" className="button button-small">
                      Cancel
                    </ConfirmButton>
                  )}
                  {r.state === 'failed' && (
                    <button type="button" className="button button-small" data-testid="dedicated-retry" onClick={() => void act(`/api/v1/dedicated-regions/${r.id}/retry`, 'POST').catch((err) => setError({ message: errorMessage(err), fields: [] }))}>
                      Retry
                    </button>
                  )}
                  {['ready', 'failed', 'cancelled'].includes(r.state) && (
                    <ConfirmButton
                      confirm={`Decommission ${r.id}? Its data plane takes no new work, finishes its runs, then it and its data are deleted.`}
                      onConfirm={() => act(`/api/v1/dedicated-regions/${r.id}`, 'DELETE')}
                      testId="dedicated-decommission"
                    >
                      Decommission
                    </ConfirmButton>
                  )}
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      {canWrite && (
        <form className="stack-tight" onSubmit={onSubmit} data-testid="dedicated-form" aria-labelledby="dedicated-request-title">
          <h3 id="dedicated-request-title">Request a dedicated region</h3>
          {error && <ProblemAlert message={error.message} fields={error.fields} testId="dedicated-form-error" />}
          <div className="form-row">
            <label className="field">
              <span>Location</span>
              <select value={location || regions[0]?.id || ''} onChange={(e) => setLocation(e.target.value)} data-testid="dedicated-location">
                {regions.map((r) => (
                  <option key={r.id} value={r.id}>
                    {r.name} ({r.id})
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>Size</span>
              <select value={size} onChange={(e) => setSize(e.target.value)} data-testid="dedicated-size">
                <option value="small">small (1 worker)</option>
                <option value="medium">medium (2 workers)</option>
                <option value="large">large (4 workers)</option>
              </select>
            </label>
            <button type="submit" className="button button-primary" disabled={pending || regions.length === 0} data-testid="dedicated-submit">
              {pending ? 'Requesting…' : 'Request'}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
