import { createHash, createHmac } from 'node:crypto';
import type { Db, Tx } from '../db/client.ts';
import { enqueueCommand } from '../dataplanes/outbox.ts';
import type { Workflow, WorkflowVersion } from '../db/generated/client.ts';

/**
 * Webhook triggers. Each workflow has an unguessable URL on its tenant's data plane,
 * `<data plane>/v1/hooks/<token>`; the token is an HMAC of the workflow id under a key
 * derived from AUTH_SECRET, so it needs no storage and the data plane only ever learns its
 * hash. Every save points the hook at the new version (a `webhook.register` command); the
 * data plane then starts runs by itself — also while the control plane is unreachable.
 */

export function webhookToken(authSecret: string, workflowId: string): string {
  return createHmac('sha256', authSecret).update(`orvanta-webhook:${workflowId}`).digest('base64url').slice(0, 40);
}

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

/** Inside the save's transaction: tells the tenant's data plane which version the hook runs. Returns the data plane to wake. */
export async function registerWebhook(tx: Tx, authSecret: string, workflow: Workflow, version: WorkflowVersion): Promise<string | null> {
  const tenant = await tx.tenant.findUniqueOrThrow({ where: { id: workflow.tenantId }, include: { homeDataPlane: true } });
  const dataPlane = tenant.homeDataPlane;
  if (!dataPlane || dataPlane.status === 'revoked') return null;
  await enqueueCommand(tx, dataPlane.id, workflow.tenantId, {
    type: 'triggers.register',
    payload: {
      tenantId: workflow.tenantId,
      workflowId: workflow.id,
      tokenHash: hashOf(webhookToken(authSecret, workflow.id)),
      workflowVersion: { id: version.id, workflowId: workflow.id, version: version.version, document: version.document as Record<string, unknown> },
    },
  });
  return dataPlane.id;
}

/** The webhook URL of each of a tenant's workflows, when its data plane has a public address. */
export async function webhookUrls(db: Db, authSecret: string, tenantId: string, workflowIds: string[]): Promise<Map<string, string>> {
  const tenant = await db.tenant.findUnique({ where: { id: tenantId }, include: { homeDataPlane: true } });
  const base = tenant?.homeDataPlane?.status !== 'revoked' ? tenant?.homeDataPlane?.publicUrl : null;
  if (!base) return new Map();
  return new Map(workflowIds.map((id) => [id, new URL(`/v1/hooks/${webhookToken(authSecret, id)}`, base).toString()]));
}
