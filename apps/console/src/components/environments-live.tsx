import { formatActorRef, formatDateTime, formatRelative } from './format';
import { ProtectedBadge } from './protected-badge';
import type { Deployment, Environment } from './types';

/** Each environment and the version of this workflow live there (new runs in it take that version). */
export function EnvironmentsLive({
  environments,
  live,
  emails,
}: {
  environments: readonly Environment[];
  live: ReadonlyMap<string, Deployment>;
  emails: ReadonlyMap<string, string>;
}) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid="environments-live">
        <caption className="sr-only">Live version per environment</caption>
        <thead>
          <tr>
            <th scope="col">Environment</th>
            <th scope="col">Live version</th>
            <th scope="col">Deployed</th>
            <th scope="col">By</th>
          </tr>
        </thead>
        <tbody>
          {environments.map((env) => {
            const d = live.get(env.name);
            return (
              <tr key={env.id} data-testid="environment-live" data-environment={env.name} data-version={d?.version ?? ''}>
                <th scope="row" className="row-link">
                  {env.name} {env.protected && <ProtectedBadge />}
                </th>
                <td data-testid="live-version">{d ? `v${d.version}` : <span className="muted">Not deployed</span>}</td>
                <td title={d ? formatDateTime(d.createdAt) : undefined}>{d ? formatRelative(d.createdAt) : '—'}</td>
                <td>{d ? formatActorRef(d.createdBy, emails) : '—'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
