import { createHash, randomBytes } from 'node:crypto';
import { newId } from '@orvanta/protocol';
import type { CallContext } from '../auth/actor.ts';
import { authorize } from '../auth/authorize.ts';
import { recordAudit } from '../audit.ts';
import { Prisma, type Db, type Tx } from '../db/client.ts';
import type { DataPlane } from '../db/generated/client.ts';
import { announceRevocation } from '../dataplanes/service.ts';
import { wake } from '../dataplanes/outbox.ts';
import { AppError, notFound } from '../errors.ts';
import { ONPREM } from './catalogue.ts';
import { installInstructions, type InstallInstructions } from './install.ts';

/**
 * A tenant's own on-prem data planes: created by a tenant admin, enrolled with a one-time
 * token, revocable. The token is returned once, inside the install instructions, and only
 * its hash is kept: it is never logged, audited or shown again.
 */

const ENROLLMENT_TTL_MS = 24 * 60 * 60 * 1000;
// The token format and hash enrollDataPlane (dataplanes/service.ts) expects.
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const newEnrollmentToken = () => `orvdp_enroll_${randomBytes(32).toString('base64url')}`;

/** Where the instructions point the data plane: the control plane's public URL and the image. */
export interface InstallContext {
  controlPlaneUrl: string;
  image: string;
}

export interface IssuedEnrollment {
  dataPlane: DataPlane;
  /** Shown once: only its hash is stored. */
  enrollmentToken: string;
  expiresAt: Date;
  install: InstallInstructions;
}

/** One of the caller tenant's on-prem data planes, locked for the change; 404 for anything else it cannot see. */
async function ownOnPrem(tx: Tx, call: CallContext, id: string): Promise<DataPlane> {
  const [row] = await tx.$queryRaw<{ id: string }[]>`SELECT "id" FROM "DataPlane" WHERE "id" = ${id} FOR UPDATE`;
  const dataPlane = row ? await tx.dataPlane.findUnique({ where: { id } }) : null;
  // Shared data planes belong to no tenant: to a tenant they are as good as absent here.
  const owned = dataPlane?.tenantId ? (dataPlane as DataPlane & { tenantId: string }) : null;
  authorize(call.actor, 'data_planes.write', owned, notFound('Data plane', id).detail);
  if (owned!.kind !== 'onprem') {
    throw new AppError('conflict', 'Not an on-prem data plane', `${id} is a ${owned!.kind} data plane: its credentials are managed by its provisioning, not here.`);
  }
  return owned!;
}

function instructions(ctx: InstallContext, dataPlane: DataPlane, enrollmentToken: string, publicUrl: string | undefined): InstallInstructions {
  return installInstructions({ controlPlaneUrl: ctx.controlPlaneUrl, enrollmentToken, dataPlaneId: dataPlane.id, image: ctx.image, publicUrl });
}

/** Creates an on-prem data plane of the caller's tenant and its first enrollment token. */
export async function createOnPremDataPlane(db: Db, call: CallContext, ctx: InstallContext, input: { name: string; publicUrl?: string }): Promise<IssuedEnrollment> {
  authorize(call.actor, 'data_planes.write');
  const tenantId = call.actor.tenantId;
  const name = input.name.trim();
  const enrollmentToken = newEnrollmentToken();
  const expiresAt = new Date(Date.now() + ENROLLMENT_TTL_MS);
  const dataPlane = await db.$transaction(async (tx) => {
    const clash = await tx.dataPlane.findFirst({ where: { tenantId, kind: 'onprem', name, status: { not: 'revoked' } }, select: { id: true } });
    if (clash) {
      throw new AppError('conflict', 'Name in use', `This tenant already has an on-prem data plane named ${JSON.stringify(name)} (${clash.id}). Choose another name, or issue a new enrollment token for that one.`, {
        errors: [{ path: 'name', message: 'already in use' }],
      });
    }
    const row = await tx.dataPlane.create({
      data: { id: newId('dp'), name, kind: 'onprem', region: ONPREM, tenantId, status: 'pending', enrollmentTokenHash: sha256(enrollmentToken), enrollmentExpiresAt: expiresAt },
    });
    await recordAudit(tx, {
      tenantId,
      actor: call.actor,
      action: 'data_plane.created',
      target: { type: 'data_plane', id: row.id },
      after: { name: row.name, kind: row.kind, region: row.region, status: row.status, enrollmentExpiresAt: expiresAt.toISOString() },
      meta: call.meta,
    });
    return row;
  });
  return { dataPlane, enrollmentToken, expiresAt, install: instructions(ctx, dataPlane, enrollmentToken, input.publicUrl) };
}

/**
 * A fresh one-time token for one of the tenant's on-prem data planes (to install it again,
 * or because the first expired): the earlier token stops working at once. An enrolled data
 * plane keeps its credential until it enrolls with the new token, which replaces it.
 */
export async function reissueEnrollmentToken(db: Db, call: CallContext, ctx: InstallContext, id: string, input: { publicUrl?: string }): Promise<IssuedEnrollment> {
  const enrollmentToken = newEnrollmentToken();
  const expiresAt = new Date(Date.now() + ENROLLMENT_TTL_MS);
  const dataPlane = await db.$transaction(async (tx) => {
    const before = await ownOnPrem(tx, call, id);
    if (before.status === 'revoked') {
      throw new AppError('conflict', 'Data plane revoked', `${id} is revoked and cannot enroll again. Create a new on-prem data plane instead.`);
    }
    const row = await tx.dataPlane.update({ where: { id }, data: { enrollmentTokenHash: sha256(enrollmentToken), enrollmentExpiresAt: expiresAt } });
    await recordAudit(tx, {
      tenantId: row.tenantId,
      actor: call.actor,
      action: 'data_plane.enrollment_token_issued',
      target: { type: 'data_plane', id },
      before: { status: before.status, enrollmentPending: before.enrollmentTokenHash !== null },
      after: { status: row.status, enrollmentExpiresAt: expiresAt.toISOString() },
      meta: call.meta,
    });
    return row;
  });
  return { dataPlane, enrollmentToken, expiresAt, install: instructions(ctx, dataPlane, enrollmentToken, input.publicUrl ?? dataPlane.publicUrl ?? undefined) };
}

/**
 * Revokes an on-prem data plane: its credential and any unused enrollment token stop working
 * at once (the gateway refuses its next call and ends a long-poll it holds), and the customer
 * data of commands it never acknowledged is erased, since it will never collect them.
 * Revoking a revoked data plane changes nothing.
 */
export async function revokeDataPlane(db: Db, call: CallContext, id: string): Promise<{ dataPlane: DataPlane; undelivered: number }> {
  const result = await db.$transaction(async (tx) => {
    const before = await ownOnPrem(tx, call, id);
    if (before.status === 'revoked') return { dataPlane: before, undelivered: 0, changed: false };
    const dataPlane = await tx.dataPlane.update({
      where: { id },
      data: { status: 'revoked', credentialHash: null, enrollmentTokenHash: null, enrollmentExpiresAt: null },
    });
    const { count: undelivered } = await tx.dataPlaneCommand.updateMany({ where: { dataPlaneId: id, ackedAt: null }, data: { customerData: Prisma.DbNull } });
    // Runs it had not finished can no longer report: they end here, saying why.
    const { count: stranded } = await tx.run.updateMany({
      where: { dataPlaneId: id, status: { in: ['queued', 'running'] } },
      data: { status: 'failed', errorClass: 'DataPlaneRevoked', finishedAt: new Date() },
    });
    await recordAudit(tx, {
      tenantId: dataPlane.tenantId,
      actor: call.actor,
      action: 'data_plane.revoked',
      target: { type: 'data_plane', id },
      before: { status: before.status },
      after: { status: 'revoked', undeliveredCommands: undelivered, runsFailed: stranded },
      meta: call.meta,
    });
    return { dataPlane, undelivered, changed: true };
  });
  if (result.changed) {
    announceRevocation(id);
    wake(id);
  }
  return { dataPlane: result.dataPlane, undelivered: result.undelivered };
}
