import { newId } from '@orvanta/protocol';
import type { Db, Tx } from '../db/client.ts';

/**
 * Console sessions. The browser holds a next-auth JWT naming a `UserSession` row; the row
 * decides: revoked, expired or gone means signed out, at once, on every replica. The
 * session's active tenant lives in the row too.
 */

export interface NewSession {
  userId: string;
  tenantId: string;
  method: 'password' | 'sso';
  ip?: string | null;
  userAgent?: string | null;
  maxAgeSeconds: number;
}

export async function createUserSession(db: Db | Tx, spec: NewSession) {
  return db.userSession.create({
    data: {
      id: newId('ses'),
      userId: spec.userId,
      tenantId: spec.tenantId,
      method: spec.method,
      ip: spec.ip ?? null,
      userAgent: spec.userAgent?.slice(0, 500) ?? null,
      expiresAt: new Date(Date.now() + spec.maxAgeSeconds * 1000),
    },
  });
}

/** The live session with that id, or null. Refreshes last-seen at most once a minute. */
export async function findLiveSession(db: Db, sessionId: string) {
  const session = await db.userSession.findUnique({ where: { id: sessionId } });
  const now = new Date();
  if (!session || session.revokedAt || session.expiresAt <= now) return null;
  if (now.getTime() - session.lastSeenAt.getTime() > 60_000) {
    void db.userSession.update({ where: { id: session.id }, data: { lastSeenAt: now } }).catch(() => undefined);
  }
  return session;
}

/** Ends every live session matching `where` (a user's, or a user's in one tenant). */
export async function revokeSessions(tx: Db | Tx, where: { userId: string; tenantId?: string }): Promise<number> {
  const { count } = await tx.userSession.updateMany({ where: { ...where, revokedAt: null }, data: { revokedAt: new Date() } });
  return count;
}

/** The tenant a user lands in on sign-in: the one they used last, else their oldest membership. */
export async function defaultTenantFor(db: Db | Tx, userId: string): Promise<string | null> {
  const last = await db.userSession.findFirst({ where: { userId }, orderBy: { createdAt: 'desc' }, select: { tenantId: true } });
  if (last && (await db.membership.findUnique({ where: { tenantId_userId: { tenantId: last.tenantId, userId } } }))) return last.tenantId;
  const first = await db.membership.findFirst({ where: { userId }, orderBy: { createdAt: 'asc' }, select: { tenantId: true } });
  return first?.tenantId ?? null;
}
