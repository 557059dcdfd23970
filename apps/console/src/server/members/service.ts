import { createHash, randomBytes } from 'node:crypto';
import { newId } from '@orvanta/protocol';
import type { CallContext } from '../auth/actor.ts';
import { actorPermissions, authorize } from '../auth/authorize.ts';
import { isRole, permissionsOfRole, type Role } from '../auth/permissions.ts';
import { revokeSessions } from '../auth/sessions.ts';
import { recordAudit } from '../audit.ts';
import type { Db, Tx } from '../db/client.ts';
import { AppError, notFound } from '../errors.ts';
import { afterCursor, decodeCursor, page } from '../lib/pagination.ts';
import type { Mailer } from '../mail.ts';

export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
export const newToken = () => randomBytes(32).toString('base64url');
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/**
 * Nobody hands out more than they hold: granting, changing or removing a role needs every
 * permission of that role, so an admin cannot make an owner nor demote one.
 */
function assertCanManageRole(call: CallContext, role: string, verb: string): void {
  const held = actorPermissions(call.actor);
  const missing = permissionsOfRole(role).filter((p) => !held.includes(p));
  if (missing.length > 0) {
    throw new AppError('forbidden', 'Permission denied', `You cannot ${verb} the ${role} role: it has permissions you do not hold (${missing.join(', ')}).`, { permission: missing[0] });
  }
}

function parseRole(role: string): Role {
  if (!isRole(role)) {
    throw new AppError('validation_failed', 'Unknown role', `"${role}" is not a role. Use one of owner, admin, developer, operator, viewer, billing.`, { errors: [{ path: 'role', message: 'unknown role' }] });
  }
  return role;
}

/** Locks the tenant's owners and refuses a change that would leave it with none. */
async function assertNotLastOwner(tx: Tx, tenantId: string, membershipId: string): Promise<void> {
  const owners = await tx.$queryRaw<{ id: string }[]>`SELECT "id" FROM "Membership" WHERE "tenantId" = ${tenantId} AND "role" = 'owner' FOR UPDATE`;
  if (owners.length === 1 && owners[0]!.id === membershipId) {
    throw new AppError('conflict', 'Last owner', 'A tenant needs at least one owner. Make someone else an owner first.');
  }
}

export async function findMembers(db: Db, call: CallContext, query: { cursor?: string; limit: number }) {
  authorize(call.actor, 'members.read');
  const rows = await db.membership.findMany({
    where: { tenantId: call.actor.tenantId, ...afterCursor(decodeCursor(query.cursor)) },
    include: { user: true },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: query.limit + 1,
  });
  return page(rows, query.limit);
}

async function loadMembership(tx: Db | Tx, call: CallContext, membershipId: string) {
  const membership = await tx.membership.findFirst({ where: { id: membershipId, tenantId: call.actor.tenantId }, include: { user: true } });
  authorize(call.actor, 'members.write', membership, notFound('Member', membershipId).detail);
  return membership!;
}

export async function changeMemberRole(db: Db, call: CallContext, membershipId: string, newRole: string) {
  const role = parseRole(newRole);
  return db.$transaction(async (tx) => {
    const membership = await loadMembership(tx, call, membershipId);
    if (membership.role === role) return membership;
    assertCanManageRole(call, membership.role, 'change a member with');
    assertCanManageRole(call, role, 'grant');
    if (membership.role === 'owner') await assertNotLastOwner(tx, membership.tenantId, membership.id);
    const updated = await tx.membership.update({ where: { id: membership.id }, data: { role }, include: { user: true } });
    await recordAudit(tx, {
      tenantId: membership.tenantId,
      actor: call.actor,
      action: 'member.role_changed',
      target: { type: 'membership', id: membership.id },
      before: { userId: membership.userId, email: membership.user.email, role: membership.role },
      after: { userId: membership.userId, email: membership.user.email, role },
      meta: call.meta,
    });
    return updated;
  });
}

/** Removes a member: their sessions in this tenant end and the API keys they created here stop working, at once. */
export async function removeMember(db: Db, call: CallContext, membershipId: string): Promise<void> {
  await db.$transaction(async (tx) => {
    const membership = await loadMembership(tx, call, membershipId);
    assertCanManageRole(call, membership.role, 'remove a member with');
    if (membership.role === 'owner') await assertNotLastOwner(tx, membership.tenantId, membership.id);
    await tx.membership.delete({ where: { id: membership.id } });
    const endedSessions = await revokeSessions(tx, { userId: membership.userId, tenantId: membership.tenantId });
    // Their keys, and the keys those keys created (and so on, through revoked ones too): none outlives their access.
    const made: { id: string; revokedAt: Date | null }[] = [];
    for (let creators = [membership.userId]; creators.length > 0; ) {
      const found = await tx.apiKey.findMany({ where: { tenantId: membership.tenantId, createdById: { in: creators }, id: { notIn: made.map((k) => k.id) } }, select: { id: true, revokedAt: true } });
      made.push(...found);
      creators = found.map((k) => k.id);
    }
    const keys = made.filter((k) => !k.revokedAt);
    await tx.apiKey.updateMany({ where: { id: { in: keys.map((k) => k.id) } }, data: { revokedAt: new Date() } });
    await recordAudit(tx, {
      tenantId: membership.tenantId,
      actor: call.actor,
      action: 'member.removed',
      target: { type: 'membership', id: membership.id },
      before: { userId: membership.userId, email: membership.user.email, role: membership.role },
      after: { endedSessions, revokedApiKeys: keys.map((k) => k.id) },
      meta: call.meta,
    });
  });
}

export async function findPendingInvitations(db: Db, call: CallContext) {
  authorize(call.actor, 'members.read');
  return db.invitation.findMany({
    where: { tenantId: call.actor.tenantId, acceptedAt: null, revokedAt: null, expiresAt: { gt: new Date() } },
    orderBy: { createdAt: 'desc' },
    take: 500,
  });
}

export interface InvitationDeps {
  mailer: Mailer;
  publicUrl: string;
}

/** Invites someone by email; an earlier pending invitation for the same address is replaced. */
export async function createInvitation(db: Db, call: CallContext, deps: InvitationDeps, input: { email: string; role: string }) {
  authorize(call.actor, 'members.write');
  const role = parseRole(input.role);
  assertCanManageRole(call, role, 'invite someone to');
  const email = normalizeEmail(input.email);
  const tenantId = call.actor.tenantId;
  const token = newToken();
  return db.$transaction(async (tx) => {
    const tenant = await tx.tenant.findUniqueOrThrow({ where: { id: tenantId } });
    const existing = await tx.membership.findFirst({ where: { tenantId, user: { email } } });
    if (existing) throw new AppError('conflict', 'Already a member', `${email} is already a member of ${tenant.name}. Change their role instead.`);
    await tx.invitation.updateMany({ where: { tenantId, email, acceptedAt: null, revokedAt: null }, data: { revokedAt: new Date() } });
    const invitation = await tx.invitation.create({
      data: {
        id: newId('inv'),
        tenantId,
        email,
        role,
        tokenHash: hashToken(token),
        invitedById: call.actor.type === 'user' ? call.actor.id : null,
        expiresAt: new Date(Date.now() + INVITATION_TTL_MS),
      },
    });
    await recordAudit(tx, { tenantId, actor: call.actor, action: 'invitation.created', target: { type: 'invitation', id: invitation.id }, after: { email, role }, meta: call.meta });
    const link = new URL(`/invite/${token}`, deps.publicUrl).toString();
    const inviter = call.actor.type === 'user' ? call.actor.email : 'An administrator';
    await deps.mailer.send(
      {
        to: email,
        subject: `You're invited to ${tenant.name} on Orvanta`,
        text: `${inviter} invited you to join ${tenant.name} on Orvanta as ${role}.\n\nAccept the invitation: ${link}\n\nThe link works once and expires on ${invitation.expiresAt.toUTCString()}. If you weren't expecting it, ignore this email.`,
      },
      tx,
    );
    return invitation;
  });
}

export async function revokeInvitation(db: Db, call: CallContext, invitationId: string): Promise<void> {
  await db.$transaction(async (tx) => {
    const invitation = await tx.invitation.findFirst({ where: { id: invitationId, tenantId: call.actor.tenantId } });
    authorize(call.actor, 'members.write', invitation, notFound('Invitation', invitationId).detail);
    if (invitation!.acceptedAt) throw new AppError('conflict', 'Already accepted', `The invitation for ${invitation!.email} was already accepted. Remove the member instead.`);
    if (invitation!.revokedAt) return;
    await tx.invitation.update({ where: { id: invitationId }, data: { revokedAt: new Date() } });
    await recordAudit(tx, { tenantId: invitation!.tenantId, actor: call.actor, action: 'invitation.revoked', target: { type: 'invitation', id: invitationId }, before: { email: invitation!.email, role: invitation!.role }, meta: call.meta });
  });
}
