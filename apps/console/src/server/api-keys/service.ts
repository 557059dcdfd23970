import { newId } from '@orvanta/protocol';
import type { CallContext } from '../auth/actor.ts';
import { generateApiKey } from '../auth/api-keys.ts';
import { actorPermissions, authorize } from '../auth/authorize.ts';
import { isPermission } from '../auth/permissions.ts';
import { recordAudit } from '../audit.ts';
import type { Db, Tx } from '../db/client.ts';
import type { ApiKey } from '../db/generated/client.ts';
import { AppError, notFound } from '../errors.ts';
import { afterCursor, decodeCursor, page } from '../lib/pagination.ts';

export const MAX_GRACE_SECONDS = 30 * 24 * 60 * 60;

export interface NewApiKey {
  name: string;
  scopes: string[];
  expiresAt?: Date | null;
  environment?: string | null;
  rateLimitPerMinute?: number | null;
}

/** What a list shows of a key; never the secret or its hash. */
const auditView = (key: ApiKey) => ({
  name: key.name,
  prefix: key.prefix,
  scopes: key.scopes,
  environment: key.environment,
  rateLimitPerMinute: key.rateLimitPerMinute,
  expiresAt: key.expiresAt,
  revokedAt: key.revokedAt,
});

/** A member may only hand a key the permissions they hold themselves. */
function checkScopes(call: CallContext, scopes: string[]): void {
  const unknown = scopes.filter((s) => !isPermission(s));
  if (unknown.length > 0) {
    throw new AppError('validation_failed', 'Unknown scope', `Unknown scope${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}. Scopes are permissions such as workflows.read; see the permission list in the docs.`, {
      errors: unknown.map((s) => ({ path: `scopes[${scopes.indexOf(s)}]`, message: `unknown scope "${s}"` })),
    });
  }
  const held = actorPermissions(call.actor);
  const missing = scopes.filter((s) => !held.includes(s as never));
  if (missing.length > 0) {
    throw new AppError('forbidden', 'Permission denied', `You can only grant scopes you hold yourself; you do not hold ${missing.join(', ')}.`, { permission: missing[0] });
  }
}

async function insertKey(tx: Tx, call: CallContext, input: NewApiKey) {
  const key = generateApiKey();
  const row = await tx.apiKey.create({
    data: {
      id: newId('key'),
      tenantId: call.actor.tenantId,
      name: input.name,
      prefix: key.prefix,
      hash: key.hash,
      scopes: [...new Set(input.scopes)],
      environment: input.environment ?? null,
      rateLimitPerMinute: input.rateLimitPerMinute ?? null,
      expiresAt: input.expiresAt ?? null,
      createdByType: call.actor.type,
      createdById: call.actor.id,
      ownerUserId: call.actor.type === 'user' ? call.actor.id : call.actor.ownerUserId,
    },
  });
  return { key: row, secret: key.secret };
}

export async function createApiKey(db: Db, call: CallContext, input: NewApiKey) {
  authorize(call.actor, 'api_keys.write');
  checkScopes(call, input.scopes);
  if (input.expiresAt && input.expiresAt <= new Date()) {
    throw new AppError('validation_failed', 'Expiry in the past', 'expiresAt must be in the future.', { errors: [{ path: 'expiresAt', message: 'must be in the future' }] });
  }
  return db.$transaction(async (tx) => {
    const created = await insertKey(tx, call, input);
    await recordAudit(tx, { tenantId: call.actor.tenantId, actor: call.actor, action: 'api_key.created', target: { type: 'api_key', id: created.key.id }, after: auditView(created.key), meta: call.meta });
    return created;
  });
}

export async function findApiKeys(db: Db, call: CallContext, query: { cursor?: string; limit: number }) {
  authorize(call.actor, 'api_keys.read');
  const rows = await db.apiKey.findMany({
    where: { tenantId: call.actor.tenantId, ...afterCursor(decodeCursor(query.cursor)) },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: query.limit + 1,
  });
  return page(rows, query.limit);
}

async function loadKeyForWrite(tx: Tx, call: CallContext, keyId: string) {
  const key = await tx.apiKey.findFirst({ where: { id: keyId, tenantId: call.actor.tenantId } });
  authorize(call.actor, 'api_keys.write', key, notFound('API key', keyId).detail);
  return key!;
}

export async function revokeApiKey(db: Db, call: CallContext, keyId: string): Promise<void> {
  await db.$transaction(async (tx) => {
    const key = await loadKeyForWrite(tx, call, keyId);
    if (key.revokedAt) return;
    const revoked = await tx.apiKey.update({ where: { id: key.id }, data: { revokedAt: new Date() } });
    await recordAudit(tx, { tenantId: key.tenantId, actor: call.actor, action: 'api_key.revoked', target: { type: 'api_key', id: key.id }, before: auditView(key), after: auditView(revoked), meta: call.meta });
  });
}

/**
 * Issues a replacement with the same name, scopes and settings. The old key keeps working
 * for the grace period (0 = stops now), so callers can be switched over without downtime.
 */
export async function rotateApiKey(db: Db, call: CallContext, keyId: string, gracePeriodSeconds: number) {
  return db.$transaction(async (tx) => {
    // One rotation at a time per key: concurrent ones wait here, then see replacedById.
    await tx.$queryRaw`SELECT 1 FROM "ApiKey" WHERE "id" = ${keyId} FOR UPDATE`;
    const key = await loadKeyForWrite(tx, call, keyId);
    const now = Date.now();
    if (key.revokedAt || (key.expiresAt && key.expiresAt.getTime() <= now)) {
      throw new AppError('conflict', 'Key no longer active', `API key ${key.prefix}… is revoked or expired; create a new key instead.`);
    }
    if (key.replacedById) {
      // Its expiry is now the grace period's end: a second replacement would inherit that.
      throw new AppError('conflict', 'Key already rotated', `API key ${key.prefix}… was already rotated; rotate its replacement (${key.replacedById}) instead, or revoke this one to end its grace period.`);
    }
    checkScopes(call, key.scopes);
    const created = await insertKey(tx, call, { name: key.name, scopes: key.scopes, environment: key.environment, rateLimitPerMinute: key.rateLimitPerMinute, expiresAt: key.expiresAt });
    const graceEnd = new Date(now + gracePeriodSeconds * 1000);
    const old = await tx.apiKey.update({
      where: { id: key.id },
      data: { replacedById: created.key.id, expiresAt: key.expiresAt && key.expiresAt < graceEnd ? key.expiresAt : graceEnd },
    });
    await recordAudit(tx, {
      tenantId: key.tenantId,
      actor: call.actor,
      action: 'api_key.rotated',
      target: { type: 'api_key', id: key.id },
      before: auditView(key),
      after: { ...auditView(old), replacedBy: created.key.id, gracePeriodSeconds },
      meta: call.meta,
    });
    return { ...created, replaces: key.id };
  });
}
