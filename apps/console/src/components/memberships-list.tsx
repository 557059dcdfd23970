import type { Membership } from './identity-types';

/** The organizations you belong to and your role in each; the active one is marked. */
export function MembershipsList({ memberships, currentTenantId }: { memberships: Membership[]; currentTenantId: string }) {
  return (
    <ul className="list" data-testid="memberships">
      {memberships.map((m) => (
        <li key={m.tenantId} data-testid="membership" data-tenant-id={m.tenantId} aria-current={m.tenantId === currentTenantId ? 'true' : undefined}>
          <span className="row-link">{m.name}</span> <span className="muted mono small">{m.slug}</span> <span className="pill small">{m.role}</span>
          {m.tenantId === currentTenantId && <span className="small muted"> · active</span>}
        </li>
      ))}
    </ul>
  );
}
