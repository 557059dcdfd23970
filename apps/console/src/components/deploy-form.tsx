'use client';

import { useId, useState, type FormEvent } from 'react';
import { api, errorMessage, fieldErrors } from './api';
import { ProblemAlert } from './problem-alert';
import type { Deployment, Environment } from './types';
import { useList } from './use-list';

/** A data plane as GET /api/v1/data-planes shows it (the fields the form needs). */
interface DataPlaneChoice {
  id: string;
  name: string;
  kind: 'shared' | 'dedicated' | 'onprem';
  region: string;
  status: 'pending' | 'active' | 'revoked';
}

const PROTECTED_TITLE = 'Protected: deploying here needs an admin (the deployments.protected permission)';

/**
 * Makes a version of the workflow live in an environment. Protected environments are
 * offered only to roles holding `deployments.protected`; choosing a version older than the
 * one live there is a rollback, and the button says so.
 */
export function DeployForm({
  workflowId,
  latestVersion,
  environments,
  live,
  canDeployProtected,
  onDeployed,
}: {
  workflowId: string;
  latestVersion: number;
  environments: readonly Environment[];
  live: ReadonlyMap<string, Deployment>;
  canDeployProtected: boolean;
  onDeployed: (deployment: Deployment) => void;
}) {
  const hintId = useId();
  const [version, setVersion] = useState(latestVersion);
  const [chosen, setChosen] = useState('');
  const [error, setError] = useState<{ message: string; fields: string[] } | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const [dataPlaneId, setDataPlaneId] = useState('');
  // Where its runs execute; left empty, the environment keeps its data plane (else the home region's).
  const dataPlanes = useList<DataPlaneChoice>('/api/v1/data-planes');
  const usable = (dataPlanes.items ?? []).filter((d) => d.status !== 'revoked');

  const allowed = (env: Environment) => !env.protected || canDeployProtected;
  const selectable = environments.filter(allowed);
  // Until someone picks, the first environment this role may deploy to.
  const environment = selectable.some((e) => e.name === chosen) ? chosen : (selectable[0]?.name ?? '');
  const liveVersion = live.get(environment)?.version;
  const rollback = liveVersion !== undefined && version < liveVersion;
  const locked = environments.filter((e) => !allowed(e)).map((e) => e.name);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!environment) return;
    setPending(true);
    setError(null);
    setDone(null);
    try {
      const deployment = await api<Deployment>(`/api/v1/workflows/${encodeURIComponent(workflowId)}/deployments`, { method: 'POST', body: { environment, version, ...(dataPlaneId ? { dataPlaneId } : {}) } });
      setDone(rollback ? `Rolled back ${deployment.environment} to v${deployment.version}.` : `Deployed v${deployment.version} to ${deployment.environment}.`);
      onDeployed(deployment);
    } catch (err) {
      setError({ message: errorMessage(err), fields: fieldErrors(err) });
    } finally {
      setPending(false);
    }
  }

  if (environments.length > 0 && selectable.length === 0) {
    return (
      <p className="muted small" data-testid="deploy-locked">
        Every environment here is protected: deploying needs an admin.
      </p>
    );
  }
  return (
    <form className="stack-tight" onSubmit={onSubmit} data-testid="deploy-form" aria-label="Deploy">
      {error && <ProblemAlert message={error.message} fields={error.fields} testId="deploy-error" />}
      <div className="form-row">
        <label className="field">
          <span>Version</span>
          <select value={version} onChange={(e) => {
              setVersion(Number(e.target.value));
              setDone(null);
            }} data-testid="deploy-version">
            {Array.from({ length: latestVersion }, (_, i) => latestVersion - i).map((v) => (
              <option key={v} value={v}>
                v{v}
                {v === latestVersion ? ' (latest)' : ''}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Environment</span>
          <select value={environment} onChange={(e) => {
              setChosen(e.target.value);
              setDone(null);
            }} data-testid="deploy-environment" aria-describedby={locked.length > 0 ? hintId : undefined}>
            {environments.map((env) => {
              const current = live.get(env.name)?.version;
              return (
                <option key={env.id} value={env.name} disabled={!allowed(env)} title={env.protected ? PROTECTED_TITLE : undefined}>
                  {env.name}
                  {env.protected ? ' (protected)' : ''}
                  {current !== undefined ? ` · v${current} live` : ''}
                </option>
              );
            })}
          </select>
        </label>
        {usable.length > 0 && (
          <label className="field">
            <span>Data plane</span>
            <select value={dataPlaneId} onChange={(e) => {
                setDataPlaneId(e.target.value);
                setDone(null);
              }} data-testid="deploy-data-plane">
              <option value="">Unchanged (or the home region)</option>
              {usable.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.kind === 'shared' ? d.region : `${d.kind} · ${d.region}`} · {d.id}
                  {d.status === 'pending' ? ' (not enrolled yet)' : ''}
                </option>
              ))}
            </select>
          </label>
        )}
        <button type="submit" className="button button-primary" disabled={pending || !environment} data-testid="deploy-submit" data-rollback={rollback ? 'true' : 'false'}>
          {pending ? (rollback ? 'Rolling back…' : 'Deploying…') : rollback ? `Roll back to v${version}` : 'Deploy'}
        </button>
      </div>
      {locked.length > 0 && (
        <p id={hintId} className="small muted">
          {locked.join(', ')} {locked.length === 1 ? 'is' : 'are'} protected: deploying there needs an admin.
        </p>
      )}
      <p className="small muted" role="status" data-testid="deploy-result">
        {done ?? (liveVersion === version ? `v${version} is already live in ${environment}.` : '')}
      </p>
    </form>
  );
}
