import { createHash, createHmac } from 'node:crypto';
import type { Db, Tx } from '../db/client.ts';
import { enqueueCommand } from '../dataplanes/outbox.ts';
import type { DataPlane, Workflow, WorkflowVersion } from '../db/generated/client.ts';

/**
 * Triggers: a workflow's webhook and schedule. Each workflow has an unguessable URL,
 * `<data plane>/v1/hooks/<token>`; the token is an HMAC of the workflow id under a key
 * derived from AUTH_SECRET, so it needs no storage and the data plane only ever learns its
 * hash. The data plane serving them — and starting those runs by itself, also while the
 * control plane is unreachable — is where the tenant's default environment's deployment is
 * pinned, with the version deployed there; without such a deployment, the tenant's home data
 * plane with the latest version. Every save, deploy or home-region change re-points them
 * (`triggers.register`), and a data plane they leave is told to drop them
 * (`triggers.unregister`), so a webhook never starts a run outside where it was pinned.
 */

export function webhookToken(authSecret: string, workflowId: string): string {
  return createHmac('sha256', authSecret).update(`orvanta-webhook:${workflowId}`).digest('base64url').slice(0, 40);
}

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

export interface TriggerTarget {
  dataPlane: DataPlane;
  version: WorkflowVersion;
  /** True when the version is the default environment's deployment (applied even if older: a rollback). */
  deployed: boolean;
}

/** Where a workflow's triggers live now, and which version they start (null: no usable data plane). */
export async function triggerTarget(tx: Db | Tx, workflow: Workflow): Promise<TriggerTarget | null> {
  const tenant = await tx.tenant.findUniqueOrThrow({ where: { id: workflow.tenantId }, include: { homeDataPlane: true } });
  const live = await tx.deployment.findFirst({
    where: { workflowId: workflow.id, environment: { name: tenant.defaultEnvironment } },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    include: { workflowVersion: true },
  });
  const pinned = live?.dataPlaneId ? await tx.dataPlane.findUnique({ where: { id: live.dataPlaneId } }) : null;
  const dataPlane = live ? (pinned ?? tenant.homeDataPlane) : tenant.homeDataPlane;
  if (!dataPlane || dataPlane.status === 'revoked') return null;
  const version = live ? live.workflowVersion : await tx.workflowVersion.findUniqueOrThrow({ where: { workflowId_version: { workflowId: workflow.id, version: workflow.latestVersion } } });
  return { dataPlane, version, deployed: !!live };
}

/**
 * Inside the caller's transaction: points the workflow's triggers at their target, and tells
 * `previous` (where they were before this change) to drop them if that is another data plane.
 * Returns the data planes to wake after commit.
 */
export async function syncTriggers(tx: Tx, authSecret: string, workflow: Workflow, previous?: DataPlane | null): Promise<string[]> {
  const target = await triggerTarget(tx, workflow);
  const woken: string[] = [];
  if (target) {
    await enqueueCommand(tx, target.dataPlane.id, workflow.tenantId, {
      type: 'triggers.register',
      payload: {
        tenantId: workflow.tenantId,
        workflowId: workflow.id,
        tokenHash: hashOf(webhookToken(authSecret, workflow.id)),
        workflowVersion: { id: target.version.id, workflowId: workflow.id, version: target.version.version, document: target.version.document as Record<string, unknown> },
        deployed: target.deployed,
      },
    });
    woken.push(target.dataPlane.id);
  }
  if (previous && previous.status !== 'revoked' && previous.id !== target?.dataPlane.id) {
    await enqueueCommand(tx, previous.id, workflow.tenantId, { type: 'triggers.unregister', payload: { tenantId: workflow.tenantId, workflowId: workflow.id } });
    woken.push(previous.id);
  }
  return woken;
}

/** The webhook URL of each of a tenant's workflows, on the data plane serving its triggers, when that has a public address. */
export async function webhookUrls(db: Db, authSecret: string, tenantId: string, workflowIds: string[]): Promise<Map<string, string>> {
  const tenant = await db.tenant.findUnique({ where: { id: tenantId }, include: { homeDataPlane: true } });
  if (!tenant || workflowIds.length === 0) return new Map();
  const live = await db.deployment.findMany({
    where: { tenantId, workflowId: { in: workflowIds }, environment: { name: tenant.defaultEnvironment } },
    distinct: ['workflowId'],
    orderBy: [{ workflowId: 'asc' }, { createdAt: 'desc' }, { id: 'desc' }],
  });
  const pinnedIds = [...new Set(live.map((d) => d.dataPlaneId).filter((id): id is string => !!id))];
  const planes = new Map((await db.dataPlane.findMany({ where: { id: { in: pinnedIds } } })).map((d) => [d.id, d]));
  const pinOf = new Map(live.map((d) => [d.workflowId, d.dataPlaneId ? (planes.get(d.dataPlaneId) ?? null) : tenant.homeDataPlane]));
  const urls = new Map<string, string>();
  for (const id of workflowIds) {
    const plane = pinOf.has(id) ? pinOf.get(id) : tenant.homeDataPlane;
    if (plane?.publicUrl && plane.status !== 'revoked') urls.set(id, new URL(`/v1/hooks/${webhookToken(authSecret, id)}`, plane.publicUrl).toString());
  }
  return urls;
}
