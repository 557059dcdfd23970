'use client';

import { Alert } from './alert';
import { EnvironmentCreateForm } from './environment-create-form';
import { EnvironmentRow } from './environment-row';
import type { Environment } from './types';
import { useList } from './use-list';

/** The tenant's environments; with settings.write, choose which need an admin to deploy to, and add more. */
export function EnvironmentsSettings({ canWrite }: { canWrite: boolean }) {
  const environments = useList<Environment>('/api/v1/environments');

  function saved(env: Environment) {
    environments.setItems((prev) => (prev?.some((e) => e.id === env.id) ? prev.map((e) => (e.id === env.id ? env : e)) : [...(prev ?? []), env]));
  }

  return (
    <section className="card stack" aria-labelledby="environments-title" data-testid="environments-settings">
      <div>
        <h2 id="environments-title">Environments</h2>
        <p className="small muted">
          Deploys to an environment that needs an admin take the <span className="mono">deployments.protected</span> permission (owners and admins); other
          deploys take <span className="mono">deployments.write</span>.
        </p>
      </div>
      {!canWrite && <Alert kind="info">Your role can view environments but not change them.</Alert>}
      {environments.error && <Alert>{environments.error}</Alert>}
      {environments.items === null && !environments.error && <p className="muted">Loading environments…</p>}
      {environments.items && (
        <div className="table-wrap">
          <table className="table" data-testid="environments-table">
            <caption className="sr-only">Environments</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Deploys need an admin</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {environments.items.map((env) => (
                <EnvironmentRow key={env.id} environment={env} canWrite={canWrite} onSaved={saved} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {canWrite && environments.items && (
        <>
          <h3 id="add-environment-title">Add an environment</h3>
          <EnvironmentCreateForm existing={environments.items.map((e) => e.name)} onCreated={saved} />
        </>
      )}
    </section>
  );
}
