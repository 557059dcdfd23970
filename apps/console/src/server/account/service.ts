import { newId } from '@orvanta/protocol';
import type { CallContext, RequestMeta } from '../auth/actor.ts';
import { requirePerson } from '../auth/authorize.ts';
import { hashPassword, verifyPassword } from '../auth/passwords.ts';
import { defaultTenantFor, revokeSessions } from '../auth/sessions.ts';
import { recordAudit } from '../audit.ts';
import type { Db, Tx } from '../db/client.ts';
import { AppError, notFound } from '../errors.ts';
import { hitRateLimit } from '../lib/rate-limit.ts';
import type { Mailer } from '../mail.ts';
import { hashToken, newToken, normalizeEmail } from '../members/service.ts';
import { ssoTenantForEmail } from '../sso/service.ts';

/** Sign-up, sign-in checks, password resets, invitation acceptance and a person's own sessions. */

export const PASSWORD_MIN_LENGTH = 12;
export const LOCKOUT_THRESHOLD = 5;
export const LOCKOUT_MS = 15 * 60 * 1000;
const RESET_TTL_MS = 60 * 60 * 1000;

export function checkPassword(password: string, path = 'password'): void {
  if (password.length < PASSWORD_MIN_LENGTH || password.length > 200) {
    throw new AppError('validation_failed', 'Password too short', `Choose a password of at least ${PASSWORD_MIN_LENGTH} characters.`, {
      errors: [{ path, message: `must be ${PASSWORD_MIN_LENGTH} to 200 characters` }],
    });
  }
}

async function limit(db: Db, key: string, max: number, windowSeconds: number, what: string): Promise<void> {
  const result = await hitRateLimit(db, key, max, windowSeconds);
  if (!result.allowed) {
    throw new AppError('rate_limited', 'Too many attempts', `Too many ${what}. Try again in ${result.resetSeconds} seconds.`, { retryAfter: result.resetSeconds });
  }
}

function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return slug.length >= 2 ? slug : `org-${slug}`;
}

async function uniqueSlug(tx: Tx, name: string): Promise<string> {
  const base = slugify(name);
  for (let i = 0; i < 50; i++) {
    const candidate = i === 0 ? base : `${base}-${i + 1}`;
    if (!(await tx.tenant.findUnique({ where: { slug: candidate } }))) return candidate;
  }
  return `${base}-${newId('x').slice(-6).toLowerCase()}`;
}

const system = { type: 'system' as const, id: 'account' };

const isUniqueViolation = (err: unknown) => typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'P2002';

/**
 * Runs a check-then-create transaction again when a concurrent one created the same row
 * first (a unique violation): the second run sees that row and answers as it should.
 */
async function retryOnConflict<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    return run();
  }
}

export interface SignupInput {
  name: string;
  email: string;
  password: string;
  organization: string;
}

/** A person signs up: a new tenant with them as its owner. */
export async function signUp(db: Db, input: SignupInput, meta: RequestMeta) {
  await limit(db, `signup:ip:${meta.ip ?? 'unknown'}`, 10, 3600, 'sign-ups from this address');
  checkPassword(input.password);
  const email = normalizeEmail(input.email);
  const passwordHash = await hashPassword(input.password);
  return retryOnConflict(() => db.$transaction(async (tx) => {
    if (await tx.user.findUnique({ where: { email } })) {
      throw new AppError('conflict', 'Account exists', `An account with ${email} already exists. Sign in instead, or reset your password.`);
    }
    // New tenants start on the oldest active shared data plane until they choose a region.
    const home = await tx.dataPlane.findFirst({ where: { kind: 'shared', status: 'active' }, orderBy: { createdAt: 'asc' }, select: { id: true } });
    const tenant = await tx.tenant.create({ data: { id: newId('ten'), slug: await uniqueSlug(tx, input.organization), name: input.organization.trim(), homeDataPlaneId: home?.id ?? null } });
    const user = await tx.user.create({ data: { id: newId('usr'), email, name: input.name.trim(), passwordHash } });
    const membership = await tx.membership.create({ data: { id: newId('mem'), tenantId: tenant.id, userId: user.id, role: 'owner' } });
    const actor = { type: 'user' as const, id: user.id };
    await recordAudit(tx, { tenantId: tenant.id, actor, action: 'tenant.created', target: { type: 'tenant', id: tenant.id }, after: { slug: tenant.slug, name: tenant.name }, meta });
    await recordAudit(tx, { tenantId: tenant.id, actor, action: 'member.added', target: { type: 'membership', id: membership.id }, after: { userId: user.id, email, role: 'owner', via: 'signup' }, meta });
    return { tenant, user };
  }));
}

export type SignInRefusal = 'CredentialsSignin' | 'locked' | 'rate_limited' | 'sso_required' | 'no_tenant';

export class SignInError extends Error {
  constructor(readonly reason: SignInRefusal) {
    super(reason);
  }
}

/**
 * Checks an email and password. Attempts are rate-limited per address; five wrong
 * passwords in a row lock the account for 15 minutes (a reset unlocks it). Addresses of a
 * domain that signs in through SSO must use it, except the tenant's owners (a way back in
 * when the identity provider is broken).
 */
export async function passwordSignIn(db: Db, input: { email: string; password: string }, meta: RequestMeta) {
  const email = normalizeEmail(input.email);
  const ipLimit = await hitRateLimit(db, `signin:ip:${meta.ip ?? 'unknown'}`, 30, 60);
  if (!ipLimit.allowed) throw new SignInError('rate_limited');
  const user = await db.user.findUnique({ where: { email } });
  if (user?.lockedUntil && user.lockedUntil > new Date()) throw new SignInError('locked');
  const ok = await verifyPassword(input.password, user?.passwordHash);
  if (!user || !ok) {
    if (user) {
      await db.$transaction(async (tx) => {
        const [row] = await tx.$queryRaw<{ failedLoginCount: number }[]>`
          UPDATE "User" SET "failedLoginCount" = "failedLoginCount" + 1 WHERE "id" = ${user.id} RETURNING "failedLoginCount"`;
        if (row && row.failedLoginCount >= LOCKOUT_THRESHOLD) {
          const lockedUntil = new Date(Date.now() + LOCKOUT_MS);
          await tx.user.update({ where: { id: user.id }, data: { lockedUntil, failedLoginCount: 0 } });
          await recordAudit(tx, { tenantId: null, actor: system, action: 'user.locked', target: { type: 'user', id: user.id }, after: { email, lockedUntil, failedAttempts: row.failedLoginCount }, meta });
        }
      });
    }
    throw new SignInError('CredentialsSignin');
  }
  const sso = await ssoTenantForEmail(db, email);
  if (sso) {
    const owner = await db.membership.findFirst({ where: { tenantId: sso.tenantId, userId: user.id, role: 'owner' } });
    if (!owner) throw new SignInError('sso_required');
  }
  const tenantId = await defaultTenantFor(db, user.id);
  if (!tenantId) throw new SignInError('no_tenant');
  await db.user.update({ where: { id: user.id }, data: { failedLoginCount: 0, lockedUntil: null, lastSignInAt: new Date() } });
  return { user, tenantId };
}

export interface MailDeps {
  mailer: Mailer;
  publicUrl: string;
}

/** Always succeeds from the caller's view, so it cannot tell who has an account. */
export async function requestPasswordReset(db: Db, deps: MailDeps, rawEmail: string, meta: RequestMeta): Promise<void> {
  const email = normalizeEmail(rawEmail);
  await limit(db, `reset:ip:${meta.ip ?? 'unknown'}`, 20, 3600, 'password reset requests from this address');
  const perEmail = await hitRateLimit(db, `reset:email:${email}`, 5, 3600);
  if (!perEmail.allowed) return;
  const user = await db.user.findUnique({ where: { email } });
  if (!user) return;
  const token = newToken();
  await db.$transaction(async (tx) => {
    const reset = await tx.passwordResetToken.create({ data: { id: newId('pwr'), userId: user.id, tokenHash: hashToken(token), expiresAt: new Date(Date.now() + RESET_TTL_MS) } });
    await recordAudit(tx, { tenantId: null, actor: system, action: 'user.password_reset_requested', target: { type: 'user', id: user.id }, after: { resetId: reset.id }, meta });
    const link = new URL(`/reset-password/${token}`, deps.publicUrl).toString();
    await deps.mailer.send(
      {
        to: email,
        subject: 'Reset your Orvanta password',
        text: `Someone asked to reset the password of your Orvanta account (${email}).\n\nChoose a new password: ${link}\n\nThe link works once and expires in one hour. If it wasn't you, ignore this email: your password stays as it is.`,
      },
      tx,
    );
  });
}

const resetLinkGone = () => new AppError('gone', 'Link expired', 'This password reset link has expired or was already used. Ask for a new one.');

export async function confirmPasswordReset(db: Db, token: string, password: string, meta: RequestMeta): Promise<void> {
  // A dead link is the news, whatever the password: say so before judging the password.
  const known = await db.passwordResetToken.findUnique({ where: { tokenHash: hashToken(token) } });
  if (!known || known.usedAt || known.expiresAt <= new Date()) throw resetLinkGone();
  checkPassword(password);
  const passwordHash = await hashPassword(password);
  await db.$transaction(async (tx) => {
    const [reset] = await tx.$queryRaw<{ id: string; userId: string; expiresAt: Date; usedAt: Date | null }[]>`
      SELECT "id", "userId", "expiresAt", "usedAt" FROM "PasswordResetToken" WHERE "tokenHash" = ${hashToken(token)} FOR UPDATE`;
    if (!reset || reset.usedAt || reset.expiresAt <= new Date()) throw resetLinkGone();
    // This link and every other outstanding one for the account stop working.
    await tx.passwordResetToken.updateMany({ where: { userId: reset.userId, usedAt: null }, data: { usedAt: new Date() } });
    await tx.user.update({ where: { id: reset.userId }, data: { passwordHash, failedLoginCount: 0, lockedUntil: null } });
    const endedSessions = await revokeSessions(tx, { userId: reset.userId });
    await recordAudit(tx, { tenantId: null, actor: { type: 'user', id: reset.userId }, action: 'user.password_reset', target: { type: 'user', id: reset.userId }, after: { endedSessions }, meta });
  });
}

async function liveInvitation(db: Db | Tx, token: string, lock: boolean) {
  const tokenHash = hashToken(token);
  if (lock) await db.$queryRaw`SELECT 1 FROM "Invitation" WHERE "tokenHash" = ${tokenHash} FOR UPDATE`;
  const invitation = await db.invitation.findUnique({ where: { tokenHash }, include: { tenant: true } });
  if (!invitation) throw new AppError('not_found', 'Invitation not found', 'This invitation link is not valid. Check that you copied all of it, or ask for a new invitation.');
  if (invitation.acceptedAt || invitation.revokedAt || invitation.expiresAt <= new Date()) {
    const why = invitation.acceptedAt ? 'was already used' : invitation.revokedAt ? 'was withdrawn' : 'has expired';
    throw new AppError('gone', 'Invitation no longer valid', `This invitation ${why}. Ask an administrator of ${invitation.tenant.name} to invite you again.`);
  }
  return invitation;
}

export async function describeInvitation(db: Db, token: string) {
  const invitation = await liveInvitation(db, token, false);
  const accountExists = (await db.user.count({ where: { email: invitation.email } })) > 0;
  return { tenant: { name: invitation.tenant.name, slug: invitation.tenant.slug }, email: invitation.email, role: invitation.role, expiresAt: invitation.expiresAt, accountExists };
}

/**
 * Accepts an invitation: as the signed-in person with the invited address, with the
 * existing account's password, or by creating the account (name + password).
 */
export async function acceptInvitation(db: Db, token: string, input: { name?: string; password?: string }, signedIn: { userId: string; email: string } | null, meta: RequestMeta) {
  await limit(db, `invite:ip:${meta.ip ?? 'unknown'}`, 30, 600, 'invitation attempts from this address');
  const newPasswordHash = input.password && input.name ? (checkPassword(input.password), await hashPassword(input.password)) : null;
  return retryOnConflict(() => db.$transaction(async (tx) => {
    const invitation = await liveInvitation(tx, token, true);
    let user = await tx.user.findUnique({ where: { email: invitation.email } });
    if (user) {
      if (signedIn?.userId !== user.id && user.lockedUntil && user.lockedUntil > new Date()) {
        throw new AppError('forbidden', 'Account locked', `The account ${invitation.email} is locked after too many wrong passwords. Try again in 15 minutes, or reset the password.`);
      }
      const proven = signedIn?.userId === user.id || (input.password !== undefined && (await verifyPassword(input.password, user.passwordHash)));
      if (!proven) {
        throw new AppError('unauthenticated', 'Sign in to accept', `An account with ${invitation.email} already exists: enter its password, or sign in as ${invitation.email}, to accept.`);
      }
    } else {
      if (signedIn) {
        throw new AppError('forbidden', 'Wrong account', `This invitation is for ${invitation.email}, but you are signed in as ${signedIn.email}. Sign out, then open the link again.`);
      }
      if (!newPasswordHash || !input.name?.trim()) {
        throw new AppError('validation_failed', 'Name and password needed', 'Choose your name and a password to create your account.', {
          errors: [
            ...(input.name?.trim() ? [] : [{ path: 'name', message: 'required' }]),
            ...(newPasswordHash ? [] : [{ path: 'password', message: `at least ${PASSWORD_MIN_LENGTH} characters` }]),
          ],
        });
      }
      user = await tx.user.create({ data: { id: newId('usr'), email: invitation.email, name: input.name.trim(), passwordHash: newPasswordHash } });
    }
    const existing = await tx.membership.findUnique({ where: { tenantId_userId: { tenantId: invitation.tenantId, userId: user.id } } });
    const membership = existing ?? (await tx.membership.create({ data: { id: newId('mem'), tenantId: invitation.tenantId, userId: user.id, role: invitation.role } }));
    await tx.invitation.update({ where: { id: invitation.id }, data: { acceptedAt: new Date(), acceptedById: user.id } });
    const actor = { type: 'user' as const, id: user.id };
    await recordAudit(tx, { tenantId: invitation.tenantId, actor, action: 'invitation.accepted', target: { type: 'invitation', id: invitation.id }, after: { email: invitation.email }, meta });
    if (!existing) {
      await recordAudit(tx, { tenantId: invitation.tenantId, actor, action: 'member.added', target: { type: 'membership', id: membership.id }, after: { userId: user.id, email: invitation.email, role: invitation.role, via: 'invitation' }, meta });
    }
    return { tenant: { id: invitation.tenant.id, slug: invitation.tenant.slug, name: invitation.tenant.name }, email: invitation.email };
  }));
}

/** Moves a session to another tenant the person belongs to. */
export async function switchTenant(db: Db, session: { sessionId: string; userId: string }, tenantId: string, meta: RequestMeta): Promise<void> {
  await db.$transaction(async (tx) => {
    const membership = await tx.membership.findUnique({ where: { tenantId_userId: { tenantId, userId: session.userId } } });
    if (!membership) throw notFound('Tenant', tenantId);
    await tx.userSession.update({ where: { id: session.sessionId }, data: { tenantId } });
    await recordAudit(tx, { tenantId, actor: { type: 'user', id: session.userId }, action: 'session.tenant_switched', target: { type: 'session', id: session.sessionId }, meta });
  });
}

export async function listOwnSessions(db: Db, call: CallContext) {
  requirePerson(call.actor);
  return db.userSession.findMany({ where: { userId: call.actor.id, revokedAt: null, expiresAt: { gt: new Date() } }, orderBy: { lastSeenAt: 'desc' }, take: 200 });
}

export async function revokeOwnSession(db: Db, call: CallContext, sessionId: string): Promise<void> {
  requirePerson(call.actor);
  const actor = call.actor;
  await db.$transaction(async (tx) => {
    const session = await tx.userSession.findFirst({ where: { id: sessionId, userId: actor.id } });
    if (!session) throw notFound('Session', sessionId);
    if (session.revokedAt) return;
    await tx.userSession.update({ where: { id: sessionId }, data: { revokedAt: new Date() } });
    await recordAudit(tx, { tenantId: session.tenantId, actor, action: 'session.revoked', target: { type: 'session', id: sessionId }, before: { ip: session.ip, userAgent: session.userAgent, createdAt: session.createdAt }, meta: call.meta });
  });
}

/** Memberships for the tenant switcher. */
export async function membershipsOf(db: Db, userId: string) {
  const rows = await db.membership.findMany({ where: { userId }, include: { tenant: true }, orderBy: { createdAt: 'asc' } });
  return rows.map((m) => ({ tenantId: m.tenantId, slug: m.tenant.slug, name: m.tenant.name, role: m.role }));
}
