import type { Db, Tx } from '../db/client.ts';
import type { DataPlane, Tenant } from '../db/generated/client.ts';
import { AppError } from '../errors.ts';
import { ONPREM, type RegionCatalogue } from './catalogue.ts';

/**
 * Where a tenant's work may run: its region policy (allowed regions, "onprem" for its own
 * on-prem data planes; empty = anywhere) applied to data planes. Every deploy and every run
 * goes through `assertPlacement`, so a policy change takes effect at once.
 */

/** The policy's name for where a data plane is: its region, or "onprem". */
export const placeOf = (dataPlane: Pick<DataPlane, 'kind' | 'region'>) => (dataPlane.kind === 'onprem' ? ONPREM : dataPlane.region);

export function describePlace(regions: RegionCatalogue, dataPlane: Pick<DataPlane, 'id' | 'kind' | 'region'>): string {
  if (dataPlane.kind === 'onprem') return `on-prem data plane ${dataPlane.id}`;
  const region = regions.get(dataPlane.region);
  return `data plane ${dataPlane.id} in region ${dataPlane.region}${region ? ` (${region.jurisdiction})` : ''}`;
}

/** A data plane the tenant may use at all: a shared one, or one of its own; not revoked. */
export function usableBy(tenantId: string, dataPlane: DataPlane | null): dataPlane is DataPlane {
  return !!dataPlane && dataPlane.status !== 'revoked' && (dataPlane.kind === 'shared' ? dataPlane.tenantId === null : dataPlane.tenantId === tenantId);
}

/** Refuses (422) a data plane the tenant's region policy does not allow, saying which policy and how to change it. */
export function assertPlacement(regions: RegionCatalogue, tenant: Pick<Tenant, 'allowedRegions'>, dataPlane: DataPlane, what: string): void {
  if (dataPlane.drainingAt) {
    throw new AppError('unprocessable', 'Data plane draining', `${what} would run on ${describePlace(regions, dataPlane)}, which is being decommissioned: it takes no new deploys or runs. Pin it to another data plane.`, {
      errors: [{ path: 'dataPlaneId', message: 'data plane is being decommissioned' }],
    });
  }
  const allowed = tenant.allowedRegions;
  if (allowed.length === 0 || allowed.includes(placeOf(dataPlane))) return;
  throw new AppError(
    'unprocessable',
    'Outside the region policy',
    `${what} would run on ${describePlace(regions, dataPlane)}, but this tenant's region policy allows only ${allowed.join(', ')}. Pin it to a data plane in an allowed region, or change the policy with PUT /api/v1/region-policy.`,
    { errors: [{ path: 'dataPlaneId', message: 'outside the region policy' }] },
  );
}

/** Resolves a data plane a caller named: it must exist and be usable by the tenant (else 422, never another tenant's details). */
export async function namedDataPlane(tx: Db | Tx, tenantId: string, dataPlaneId: string): Promise<DataPlane> {
  const dataPlane = await tx.dataPlane.findUnique({ where: { id: dataPlaneId } });
  if (!usableBy(tenantId, dataPlane)) {
    throw new AppError('validation_failed', 'Unknown data plane', `There is no data plane ${JSON.stringify(dataPlaneId)} this tenant can use. GET /api/v1/data-planes lists them.`, {
      errors: [{ path: 'dataPlaneId', message: 'unknown data plane' }],
    });
  }
  return dataPlane;
}

/** The data plane serving a region for a tenant: its own dedicated one there, else the region's shared one. */
export async function dataPlaneForRegion(tx: Db | Tx, tenantId: string, region: string): Promise<DataPlane | null> {
  const candidates = await tx.dataPlane.findMany({
    where: { region, status: { in: ['active', 'pending'] }, drainingAt: null, OR: [{ kind: 'shared', tenantId: null }, { kind: 'dedicated', tenantId }] },
    orderBy: { createdAt: 'asc' },
  });
  const rank = (d: DataPlane) => (d.kind === 'dedicated' ? 0 : 1) * 2 + (d.status === 'active' ? 0 : 1);
  return candidates.sort((a, b) => rank(a) - rank(b))[0] ?? null;
}
