import { decode } from 'next-auth/jwt';
import type { Db } from '../db/client.ts';
import { AppError } from '../errors.ts';
import type { Actor } from './actor.ts';
import { hashApiKey, isWellFormedApiKey } from './api-keys.ts';
import { permissionsOfRole } from './permissions.ts';
import { findLiveSession } from './sessions.ts';

export const SESSION_COOKIES = ['__Secure-next-auth.session-token', 'next-auth.session-token'];

const unauthenticated = (detail: string) =>
  new AppError('unauthenticated', 'Authentication required', detail);

function readCookie(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

/**
 * Works out who sent a request: an API key (`Authorization: Bearer orv_…`) or a console
 * session cookie. Every failure is the same 401 so nothing about keys or users leaks.
 */
export async function authenticate(db: Db, request: Request, authSecret: string): Promise<Actor> {
  const authorization = request.headers.get('authorization');
  if (authorization !== null) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) throw unauthenticated('The Authorization header must be "Bearer <API key>".');
    return authenticateApiKey(db, match[1]!);
  }
  const actor = await authenticateSessionCookie(db, request.headers.get('cookie'), authSecret);
  if (!actor) throw unauthenticated('Send an API key as "Authorization: Bearer <key>", or sign in to the console.');
  return actor;
}

/** The signed-in person behind a Cookie header; null when there is no session cookie at all. */
export async function authenticateSessionCookie(db: Db, cookieHeader: string | null, authSecret: string): Promise<Extract<Actor, { type: 'user' }> | null> {
  for (const name of SESSION_COOKIES) {
    const token = readCookie(cookieHeader, name);
    if (token) return authenticateSession(db, token, authSecret);
  }
  return null;
}

async function authenticateApiKey(db: Db, secret: string): Promise<Actor> {
  const invalid = unauthenticated('The API key is invalid, expired or revoked.');
  if (!isWellFormedApiKey(secret)) throw invalid;
  const key = await db.apiKey.findUnique({ where: { hash: hashApiKey(secret) } });
  const now = new Date();
  if (!key || key.revokedAt || (key.expiresAt && key.expiresAt <= now)) throw invalid;
  // Last-used is advisory: refresh it at most once a minute, off the request's path.
  if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > 60_000) {
    void db.apiKey.update({ where: { id: key.id }, data: { lastUsedAt: now } }).catch(() => undefined);
  }
  let scopes = key.scopes;
  if (key.ownerUserId) {
    // A key acts for a person and never does more than their role allows today: demote
    // them and their keys shrink with them; remove them and the keys stop working.
    const owner = await db.membership.findUnique({ where: { tenantId_userId: { tenantId: key.tenantId, userId: key.ownerUserId } }, select: { role: true } });
    if (!owner) throw invalid;
    const allowed = permissionsOfRole(owner.role) as readonly string[];
    scopes = scopes.filter((s) => allowed.includes(s));
  }
  return { type: 'api_key', id: key.id, tenantId: key.tenantId, scopes, rateLimitPerMinute: key.rateLimitPerMinute, ownerUserId: key.ownerUserId, environment: key.environment };
}

async function authenticateSession(db: Db, token: string, secret: string): Promise<Extract<Actor, { type: 'user' }>> {
  const invalid = unauthenticated('Your session has ended. Sign in again.');
  const claims = await decode({ token, secret }).catch(() => null);
  const userId = typeof claims?.sub === 'string' ? claims.sub : undefined;
  const sessionId = typeof claims?.sid === 'string' ? claims.sid : undefined;
  if (!userId || !sessionId) throw invalid;
  // The session row and the role are read on every request: a revoked session, a removed
  // member or a changed role takes effect at once, not when the cookie expires.
  const session = await findLiveSession(db, sessionId);
  if (!session || session.userId !== userId) throw invalid;
  const membership = await db.membership.findUnique({
    where: { tenantId_userId: { tenantId: session.tenantId, userId } },
    include: { user: true },
  });
  if (!membership) throw invalid;
  return { type: 'user', id: userId, tenantId: session.tenantId, role: membership.role, email: membership.user.email, sessionId };
}
