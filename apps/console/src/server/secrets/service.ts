import { newId } from '@orvanta/protocol';
import type { CallContext } from '../auth/actor.ts';
import { authorize } from '../auth/authorize.ts';
import { recordAudit } from '../audit.ts';
import type { Db, Tx } from '../db/client.ts';
import { enqueueCommand, wake } from '../dataplanes/outbox.ts';
import { AppError } from '../errors.ts';

/**
 * Tenant secrets, per data plane. The control plane keeps names and versions only; the
 * value goes to the data plane once, in a `secret.put` command whose copy is erased when
 * the data plane acknowledges it, and is stored there encrypted. Nothing ever reads a
 * value back out: workflows reference it as `{{ secrets.NAME }}`.
 */

export const SECRET_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;
export const MAX_SECRET_BYTES = 64 * 1024;

function checkName(name: string): void {
  if (!SECRET_NAME.test(name)) {
    throw new AppError('validation_failed', 'Invalid secret name', 'Secret names are upper-case letters, digits and "_", starting with a letter (e.g. STRIPE_KEY), at most 64 characters.', {
      errors: [{ path: 'name', message: 'invalid secret name' }],
    });
  }
}

/** The data plane a secret lives on: the one asked for (if the tenant may use it), else the tenant's home. */
async function targetDataPlane(tx: Tx, tenantId: string, dataPlaneId: string | undefined) {
  const tenant = await tx.tenant.findUniqueOrThrow({ where: { id: tenantId } });
  const id = dataPlaneId ?? tenant.homeDataPlaneId;
  const dataPlane = id ? await tx.dataPlane.findUnique({ where: { id } }) : null;
  // Shared data planes serve every tenant; dedicated and on-prem ones only their own.
  if (!dataPlane || (dataPlane.tenantId && dataPlane.tenantId !== tenantId) || dataPlane.status === 'revoked') {
    if (dataPlaneId) throw new AppError('validation_failed', 'Unknown data plane', `There is no data plane ${JSON.stringify(dataPlaneId)} this tenant can use.`, { errors: [{ path: 'dataPlaneId', message: 'unknown data plane' }] });
    throw new AppError('unprocessable', 'No data plane', 'This tenant has no data plane to keep secrets on. Ask an admin to enroll one.');
  }
  return dataPlane;
}

export async function putSecret(db: Db, call: CallContext, name: string, input: { value: string; dataPlaneId?: string }) {
  authorize(call.actor, 'secrets.write');
  checkName(name);
  if (Buffer.byteLength(input.value) > MAX_SECRET_BYTES) throw new AppError('payload_too_large', 'Secret too large', `A secret may be at most ${MAX_SECRET_BYTES / 1024} KiB.`);
  const tenantId = call.actor.tenantId;
  const secret = await db.$transaction(async (tx) => {
    const dataPlane = await targetDataPlane(tx, tenantId, input.dataPlaneId);
    const before = await tx.secret.findUnique({ where: { tenantId_dataPlaneId_name: { tenantId, dataPlaneId: dataPlane.id, name } } });
    const by = `${call.actor.type}:${call.actor.id}`;
    const saved = before
      ? await tx.secret.update({ where: { id: before.id }, data: { version: before.version + 1, updatedBy: by } })
      : await tx.secret.create({ data: { id: newId('sec'), tenantId, dataPlaneId: dataPlane.id, name, version: 1, updatedBy: by } });
    await enqueueCommand(tx, dataPlane.id, tenantId, { type: 'secret.put', payload: { tenantId, name, version: saved.version }, customerData: { value: input.value } });
    await recordAudit(tx, {
      tenantId,
      actor: call.actor,
      action: before ? 'secret.updated' : 'secret.created',
      target: { type: 'secret', id: saved.id },
      after: { name, dataPlaneId: dataPlane.id, version: saved.version },
      meta: call.meta,
    });
    return saved;
  });
  wake(secret.dataPlaneId);
  return secret;
}

export async function listSecrets(db: Db, call: CallContext) {
  authorize(call.actor, 'secrets.read');
  return db.secret.findMany({ where: { tenantId: call.actor.tenantId }, orderBy: [{ name: 'asc' }, { dataPlaneId: 'asc' }], take: 1000 });
}

export async function deleteSecret(db: Db, call: CallContext, name: string, dataPlaneId?: string): Promise<void> {
  authorize(call.actor, 'secrets.write');
  checkName(name);
  const tenantId = call.actor.tenantId;
  const removed = await db.$transaction(async (tx) => {
    const rows = await tx.secret.findMany({ where: { tenantId, name, ...(dataPlaneId ? { dataPlaneId } : {}) } });
    if (rows.length === 0) throw new AppError('not_found', 'Not found', `There is no secret ${name}.`);
    for (const row of rows) {
      await tx.secret.delete({ where: { id: row.id } });
      await enqueueCommand(tx, row.dataPlaneId, tenantId, { type: 'secret.delete', payload: { tenantId, name, version: row.version + 1 } });
      await recordAudit(tx, { tenantId, actor: call.actor, action: 'secret.deleted', target: { type: 'secret', id: row.id }, before: { name, dataPlaneId: row.dataPlaneId, version: row.version }, meta: call.meta });
    }
    return rows;
  });
  for (const row of removed) wake(row.dataPlaneId);
}
