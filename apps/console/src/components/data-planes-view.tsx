'use client';

import { useEffect, useState, type FormEvent } from 'react';
import { Alert } from './alert';
import { api, errorMessage, fieldErrors } from './api';
import { DedicatedRegions } from './dedicated-regions';
import { OnPremCreate, OnPremReissueButton, RevokeDataPlaneButton } from './onprem-create';
import { formatRelative } from './format';
import { ProblemAlert } from './problem-alert';
import { useList } from './use-list';

interface Region {
  id: string;
  name: string;
  jurisdiction: string;
}

interface DataPlane {
  id: string;
  name: string;
  kind: 'shared' | 'dedicated' | 'onprem';
  region: string;
  jurisdiction: string | null;
  status: 'pending' | 'active' | 'revoked';
  /** Being decommissioned: no new deploys or runs go to it. */
  draining: boolean;
  connection: 'pending' | 'connected' | 'disconnected' | 'revoked';
  version: string | null;
  lastHeartbeatAt: string | null;
  queueDepth: number | null;
  publicUrl: string | null;
}

interface RegionPolicy {
  homeRegion: string | null;
  allowedRegions: string[];
  homeDataPlaneId: string | null;
}

const CONNECTION_BADGE: Record<DataPlane['connection'], string> = { pending: 'queued', connected: 'succeeded', disconnected: 'failed', revoked: 'cancelled' };

/** Data planes, dedicated regions and the region policy on one page. */
export function DataPlanesView({ canWrite, canReadPolicy, canWritePolicy }: { canWrite: boolean; canReadPolicy: boolean; canWritePolicy: boolean }) {
  const regions = useList<Region>('/api/v1/regions');
  const planes = useList<DataPlane>('/api/v1/data-planes');

  return (
    <div className="stack">
      <DedicatedRegions regions={regions.items ?? []} canWrite={canWrite} onChanged={() => void planes.reload()} />
      {canWrite && <OnPremCreate onCreated={() => void planes.reload()} />}

      <section className="card stack" aria-labelledby="planes-title" data-testid="data-planes">
        <div>
          <h2 id="planes-title">Data planes</h2>
          <p className="small muted">Where workflows run and their data stays: the shared regions, and this organization&apos;s own dedicated and on-prem data planes.</p>
        </div>
        {planes.error && <Alert>{planes.error}</Alert>}
        {planes.items === null && !planes.error && <p className="muted">Loading data planes…</p>}
        {planes.items && (
          <div className="table-wrap">
            <table className="table" data-testid="data-planes-table">
              <caption className="sr-only">Data planes</caption>
              <thead>
                <tr>
                  <th scope="col">Data plane</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Region</th>
                  <th scope="col">Connection</th>
                  <th scope="col">Version</th>
                  <th scope="col">Heartbeat</th>
                  <th scope="col">Queue</th>
                  {canWrite && (
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {planes.items.map((d) => (
                  <tr key={d.id} data-testid="data-plane-row" data-id={d.id}>
                    <td>
                      <span className="mono">{d.id}</span>
                      <div className="small muted">{d.publicUrl ?? d.name}</div>
                    </td>
                    <td>{d.kind}</td>
                    <td>
                      {d.region}
                      {d.jurisdiction ? <span className="small muted"> ({d.jurisdiction})</span> : null}
                    </td>
                    <td>
                      <span className={`badge badge-${CONNECTION_BADGE[d.connection]}`} data-status={d.connection}>
                        {d.connection}
                      </span>
                      {d.draining && <span className="small muted"> draining</span>}
                    </td>
                    <td className="mono small">{d.version ?? '—'}</td>
                    <td className="small">{d.lastHeartbeatAt ? formatRelative(d.lastHeartbeatAt) : '—'}</td>
                    <td>{d.queueDepth ?? '—'}</td>
                    {canWrite && (
                      <td className="actions">
                        <OnPremReissueButton dataPlane={d} /> <RevokeDataPlaneButton dataPlane={d} onRevoked={() => void planes.reload()} />
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      {canReadPolicy && <RegionPolicyEditor regions={regions.items ?? []} canWrite={canWritePolicy} />}
    </div>
  );
}

/** The home region and the regions work may run in (GET/PUT /api/v1/region-policy). */
function RegionPolicyEditor({ regions, canWrite }: { regions: Region[]; canWrite: boolean }) {
  const [policy, setPolicy] = useState<RegionPolicy | null>(null);
  const [home, setHome] = useState('');
  const [allowed, setAllowed] = useState<string[]>([]);
  const [error, setError] = useState<{ message: string; fields: string[] } | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  useEffect(() => {
    const controller = new AbortController();
    api<RegionPolicy>('/api/v1/region-policy', { signal: controller.signal }).then(
      (p) => {
        setPolicy(p);
        setHome(p.homeRegion ?? '');
        setAllowed(p.allowedRegions);
      },
      (err) => !controller.signal.aborted && setError({ message: errorMessage(err), fields: [] }),
    );
    return () => controller.abort();
  }, []);

  const places = [...regions.map((r) => ({ id: r.id, label: `${r.name} (${r.jurisdiction})` })), { id: 'onprem', label: 'Our own on-prem data planes' }];

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setPending(true);
    setError(null);
    setResult(null);
    try {
      const saved = await api<RegionPolicy & { conflicts: { workflowId: string; environment: string; place: string }[] }>('/api/v1/region-policy', { method: 'PUT', body: { homeRegion: home || regions[0]?.id, allowedRegions: allowed } });
      setPolicy(saved);
      setResult(
        saved.conflicts.length
          ? `Saved. These deployments now run outside the policy and are refused until moved: ${saved.conflicts.map((c) => `${c.workflowId} (${c.environment}, ${c.place})`).join(', ')}.`
          : 'Saved.',
      );
    } catch (err) {
      setError({ message: errorMessage(err), fields: fieldErrors(err) });
    } finally {
      setPending(false);
    }
  }

  return (
    <section className="card stack" aria-labelledby="policy-title" data-testid="region-policy">
      <div>
        <h2 id="policy-title">Region policy</h2>
        <p className="small muted">New runs without a pinned deployment go to the home region. Deploys and runs anywhere the policy does not allow are refused. None checked: anywhere.</p>
      </div>
      {error && <ProblemAlert message={error.message} fields={error.fields} testId="region-policy-error" />}
      {policy === null && !error && <p className="muted">Loading the region policy…</p>}
      {policy && (
        <form className="stack-tight" onSubmit={onSubmit}>
          <label className="field">
            <span>Home region</span>
            <select value={home} onChange={(e) => setHome(e.target.value)} disabled={!canWrite} data-testid="policy-home">
              {!home && <option value="">(not chosen)</option>}
              {regions.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name} ({r.id})
                </option>
              ))}
            </select>
          </label>
          <fieldset className="fieldset" disabled={!canWrite}>
            <legend>Allowed regions</legend>
            <div className="checkbox-grid">
              {places.map((p) => (
                <label key={p.id} className="checkbox">
                  <input type="checkbox" checked={allowed.includes(p.id)} onChange={(e) => setAllowed((prev) => (e.target.checked ? [...prev, p.id] : prev.filter((x) => x !== p.id)))} />
                  <span>
                    {p.label} <span className="mono small">{p.id}</span>
                  </span>
                </label>
              ))}
            </div>
          </fieldset>
          {canWrite ? (
            <div>
              <button type="submit" className="button button-primary" disabled={pending} data-testid="policy-save">
                {pending ? 'Saving…' : 'Save policy'}
              </button>
            </div>
          ) : (
            <p className="small muted">Your role can view the region policy but not change it.</p>
          )}
          <p className="small muted" role="status">
            {result}
          </p>
        </form>
      )}
    </section>
  );
}
