import { rollbackIds } from './deployments';
import { formatActorRef, formatDateTime } from './format';
import type { Deployment } from './types';

/** Every deploy of this workflow, newest first; `live` marks what each environment runs now. */
export function DeploymentHistory({ deployments, emails }: { deployments: readonly Deployment[]; emails: ReadonlyMap<string, string> }) {
  if (deployments.length === 0) {
    return (
      <p className="muted small" data-testid="deployments-empty">
        Not deployed anywhere yet. Runs without an environment use the latest version.
      </p>
    );
  }
  const rollbacks = rollbackIds(deployments);
  return (
    <div className="table-wrap">
      <table className="table" data-testid="deployment-history">
        <caption className="sr-only">Deployment history, newest first</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Environment</th>
            <th scope="col">Version</th>
            <th scope="col">By</th>
            <th scope="col">
              <span className="sr-only">State</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {deployments.map((d) => (
            <tr key={d.id} data-testid="deployment-row" data-environment={d.environment} data-version={d.version} data-live={d.live ? 'true' : 'false'}>
              <td>{formatDateTime(d.createdAt)}</td>
              <td>{d.environment}</td>
              <td>
                v{d.version}
                {rollbacks.has(d.id) && <span className="pill small">rollback</span>}
              </td>
              <td>{formatActorRef(d.createdBy, emails)}</td>
              <td>{d.live && <span className="badge badge-live">live</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
