import type { CallContext } from '../auth/actor.ts';
import { authorize } from '../auth/authorize.ts';
import { recordAudit } from '../audit.ts';
import type { Db } from '../db/client.ts';
import type { DataPlane } from '../db/generated/client.ts';
import { wake } from '../dataplanes/outbox.ts';
import { AppError } from '../errors.ts';
import { syncTriggers, triggerTarget } from '../workflows/webhooks.ts';
import { ONPREM, type RegionCatalogue } from './catalogue.ts';
import { dataPlaneForRegion, placeOf } from './placement.ts';

/** A data plane that has not called in for this long is shown as disconnected (heartbeats come every 15 s). */
export const CONNECTED_WITHIN_MS = 45_000;

export type ConnectionState = 'pending' | 'connected' | 'disconnected' | 'revoked';

export function connectionOf(dataPlane: Pick<DataPlane, 'status' | 'enrolledAt' | 'lastSeenAt'>, now = Date.now()): ConnectionState {
  if (dataPlane.status === 'revoked') return 'revoked';
  if (!dataPlane.enrolledAt) return 'pending';
  return dataPlane.lastSeenAt && now - dataPlane.lastSeenAt.getTime() < CONNECTED_WITHIN_MS ? 'connected' : 'disconnected';
}

/** The shared data planes, and the tenant's own dedicated and on-prem ones. */
export async function listDataPlanes(db: Db, call: CallContext): Promise<DataPlane[]> {
  authorize(call.actor, 'data_planes.read');
  return db.dataPlane.findMany({
    where: { OR: [{ kind: 'shared', tenantId: null }, { tenantId: call.actor.tenantId }] },
    orderBy: [{ kind: 'asc' }, { region: 'asc' }, { createdAt: 'asc' }],
  });
}

export interface RegionPolicy {
  homeRegion: string | null;
  allowedRegions: string[];
  homeDataPlaneId: string | null;
}

export async function getRegionPolicy(db: Db, call: CallContext): Promise<RegionPolicy> {
  authorize(call.actor, 'settings.read');
  const tenant = await db.tenant.findUniqueOrThrow({ where: { id: call.actor.tenantId } });
  return { homeRegion: tenant.homeRegion, allowedRegions: tenant.allowedRegions, homeDataPlaneId: tenant.homeDataPlaneId };
}

/** A deployment the new policy no longer allows: its runs will be refused until it is moved. */
export interface PolicyConflict {
  workflowId: string;
  environment: string;
  dataPlaneId: string;
  place: string;
}

/**
 * Sets the tenant's home region and the regions its work may run in. The home region must
 * be allowed and served by a data plane (the tenant's dedicated one there, else the shared
 * one); new runs without a pinned deployment go there. Live deployments the policy no longer
 * allows are listed in the answer: their runs are refused until they are moved.
 */
export async function putRegionPolicy(
  db: Db,
  call: CallContext,
  deps: { regions: RegionCatalogue; authSecret: string },
  input: { homeRegion: string; allowedRegions: string[] },
): Promise<RegionPolicy & { conflicts: PolicyConflict[] }> {
  const { regions } = deps;
  authorize(call.actor, 'settings.write');
  const allowed = [...new Set(input.allowedRegions)];
  const errors: { path: string; message: string }[] = [];
  if (!regions.has(input.homeRegion)) errors.push({ path: 'homeRegion', message: `unknown region; one of ${regions.regions.map((r) => r.id).join(', ')}` });
  allowed.forEach((r, i) => {
    if (r !== ONPREM && !regions.has(r)) errors.push({ path: `allowedRegions.${i}`, message: `unknown region "${r}"` });
  });
  if (allowed.length > 0 && !allowed.includes(input.homeRegion)) errors.push({ path: 'allowedRegions', message: `must include the home region ${input.homeRegion}` });
  if (errors.length) throw new AppError('validation_failed', 'Invalid region policy', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });

  const tenantId = call.actor.tenantId;
  const woken = new Set<string>();
  const result = await db.$transaction(async (tx) => {
    const tenantBefore = await tx.tenant.findUniqueOrThrow({ where: { id: tenantId } });
    const home = await dataPlaneForRegion(tx, tenantId, input.homeRegion);
    if (!home) throw new AppError('unprocessable', 'Region not served', `No data plane serves ${input.homeRegion} yet, so it cannot be the home region. Choose another region or ask the operator to start one there.`);
    // Triggers of workflows without a default-environment deployment follow the home data
    // plane: when it changes, note where each workflow's are now, then re-point them.
    const homeMoves = home.id !== tenantBefore.homeDataPlaneId;
    const workflows = homeMoves ? await tx.workflow.findMany({ where: { tenantId } }) : [];
    const before = new Map<string, DataPlane | null>();
    for (const w of workflows) before.set(w.id, (await triggerTarget(tx, w))?.dataPlane ?? null);
    const tenant = await tx.tenant.update({ where: { id: tenantId }, data: { homeRegion: input.homeRegion, allowedRegions: allowed, homeDataPlaneId: home.id } });
    for (const w of workflows) for (const id of await syncTriggers(tx, deps.authSecret, w, before.get(w.id))) woken.add(id);
    await recordAudit(tx, {
      tenantId,
      actor: call.actor,
      action: 'region_policy.updated',
      target: { type: 'tenant', id: tenantId },
      before: { homeRegion: tenantBefore.homeRegion, allowedRegions: tenantBefore.allowedRegions, homeDataPlaneId: tenantBefore.homeDataPlaneId },
      after: { homeRegion: tenant.homeRegion, allowedRegions: tenant.allowedRegions, homeDataPlaneId: tenant.homeDataPlaneId },
      meta: call.meta,
    });
    return tenant;
  });
  for (const id of woken) wake(id);
  return { homeRegion: result.homeRegion, allowedRegions: result.allowedRegions, homeDataPlaneId: result.homeDataPlaneId, conflicts: await policyConflicts(db, tenantId, allowed) };
}

/** The live deployments (latest per workflow and environment) pinned outside `allowed`. */
async function policyConflicts(db: Db, tenantId: string, allowed: string[]): Promise<PolicyConflict[]> {
  if (allowed.length === 0) return [];
  const live = await db.deployment.findMany({
    where: { tenantId, dataPlaneId: { not: null } },
    distinct: ['workflowId', 'environmentId'],
    orderBy: [{ workflowId: 'asc' }, { environmentId: 'asc' }, { createdAt: 'desc' }, { id: 'desc' }],
    include: { environment: true },
  });
  const planes = new Map((await db.dataPlane.findMany({ where: { id: { in: live.map((d) => d.dataPlaneId!) } } })).map((d) => [d.id, d]));
  return live.flatMap((d) => {
    const plane = planes.get(d.dataPlaneId!);
    const place = plane ? placeOf(plane) : 'unknown';
    return allowed.includes(place) ? [] : [{ workflowId: d.workflowId, environment: d.environment.name, dataPlaneId: d.dataPlaneId!, place }];
  });
}
