import { newId } from '@orvanta/protocol';
import type { CallContext } from '../auth/actor.ts';
import { authorize } from '../auth/authorize.ts';
import { recordAudit } from '../audit.ts';
import type { Db } from '../db/client.ts';
import { enqueueCommand, wake } from '../dataplanes/outbox.ts';
import { AppError } from '../errors.ts';

/**
 * Applications: the external systems http nodes call, by name. A tenant sets each one's
 * rate limit (N calls per window) and concurrency once; every workflow of the tenant that
 * calls it shares them. The data plane enforces them, and slows down by itself when the
 * application answers 429 or 503 with Retry-After.
 */

export const APPLICATION_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export interface ApplicationInput {
  rateLimit?: { requests: number; perSeconds: number } | null;
  concurrency?: number | null;
}

export async function putApplication(db: Db, call: CallContext, name: string, input: ApplicationInput) {
  authorize(call.actor, 'workflows.write');
  if (!APPLICATION_NAME.test(name)) {
    throw new AppError('validation_failed', 'Invalid application name', 'Application names are lowercase letters, digits, "_" and "-", as in http nodes\' `application`.', { errors: [{ path: 'name', message: 'invalid name' }] });
  }
  const tenantId = call.actor.tenantId;
  const data = { rateLimitRequests: input.rateLimit?.requests ?? null, rateLimitPerSeconds: input.rateLimit?.perSeconds ?? null, concurrency: input.concurrency ?? null };
  const { app, dataPlaneId } = await db.$transaction(async (tx) => {
    const before = await tx.application.findUnique({ where: { tenantId_name: { tenantId, name } } });
    const app = await tx.application.upsert({ where: { tenantId_name: { tenantId, name } }, create: { id: newId('app'), tenantId, name, ...data }, update: data });
    const tenant = await tx.tenant.findUniqueOrThrow({ where: { id: tenantId } });
    if (tenant.homeDataPlaneId) await enqueueCommand(tx, tenant.homeDataPlaneId, tenantId, { type: 'application.put', payload: { tenantId, name, ...data } });
    await recordAudit(tx, {
      tenantId,
      actor: call.actor,
      action: before ? 'application.updated' : 'application.created',
      target: { type: 'application', id: app.id },
      before: before ? { rateLimitRequests: before.rateLimitRequests, rateLimitPerSeconds: before.rateLimitPerSeconds, concurrency: before.concurrency } : null,
      after: { name, ...data },
      meta: call.meta,
    });
    return { app, dataPlaneId: tenant.homeDataPlaneId };
  });
  if (dataPlaneId) wake(dataPlaneId);
  return app;
}

export async function listApplications(db: Db, call: CallContext) {
  authorize(call.actor, 'workflows.read');
  return db.application.findMany({ where: { tenantId: call.actor.tenantId }, orderBy: { name: 'asc' } });
}
