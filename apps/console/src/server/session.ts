import { cache } from 'react';
import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { membershipsOf } from './account/service.ts';
import { authenticateSessionCookie } from './auth/authenticate.ts';
import { actorPermissions } from './auth/authorize.ts';
import type { Permission } from './auth/permissions.ts';
import { serverContext } from './context.ts';
import { AppError } from './errors.ts';

export interface ConsoleSession {
  user: { id: string; email: string; name: string };
  tenant: { id: string; slug: string; name: string };
  role: string;
  permissions: Permission[];
  memberships: { tenantId: string; slug: string; name: string; role: string }[];
  sessionId: string;
}

/**
 * For server components: the signed-in person, their active tenant, role and permissions,
 * checked the same way as API calls (live session row, fresh membership), or a redirect
 * to /login. Cached per request: the layout and the page share one lookup.
 */
export const requireSession = cache(async (): Promise<ConsoleSession> => {
  const { db, config } = serverContext();
  const actor = await authenticateSessionCookie(db, (await headers()).get('cookie'), config.AUTH_SECRET).catch((err: unknown) => {
    if (err instanceof AppError && err.code === 'unauthenticated') return null;
    throw err;
  });
  if (!actor) redirect('/login');
  const [user, memberships] = await Promise.all([db.user.findUniqueOrThrow({ where: { id: actor.id } }), membershipsOf(db, actor.id)]);
  const tenant = memberships.find((m) => m.tenantId === actor.tenantId)!;
  return {
    user: { id: user.id, email: user.email, name: user.name },
    tenant: { id: tenant.tenantId, slug: tenant.slug, name: tenant.name },
    role: actor.role,
    permissions: [...actorPermissions(actor)],
    memberships,
    sessionId: actor.sessionId,
  };
});

/** True when mail goes to the development outbox (no SMTP server configured). */
export function mailOutboxEnabled(): boolean {
  return serverContext().mailer.outbox;
}
