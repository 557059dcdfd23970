import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { listOwnSessions, membershipsOf, revokeOwnSession } from '../../account/service.ts';
import { actorPermissions } from '../../auth/authorize.ts';
import type { ApiEnv, ServerDeps } from '../context.ts';
import { meSchema, sessionListSchema } from '../identity-schemas.ts';
import { idParam } from '../schemas.ts';
import { PERSON, problems, secured, SIGNED_IN } from './common.ts';

export function registerMeRoutes(app: OpenAPIHono<ApiEnv>, deps: ServerDeps) {
  const { db } = deps;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/me',
      summary: 'Who is calling: the person or key, its tenant, role and permissions',
      tags: ['Identity'],
      ...secured(SIGNED_IN),
      responses: { 200: { description: 'The caller', content: { 'application/json': { schema: meSchema } } }, ...problems },
    }),
    async (c) => {
      const { actor } = c.get('call');
      const tenant = await db.tenant.findUniqueOrThrow({ where: { id: actor.tenantId } });
      const user = actor.type === 'user' ? await db.user.findUniqueOrThrow({ where: { id: actor.id } }) : null;
      return c.json(
        {
          actor: { type: actor.type, id: actor.id },
          user: user ? { id: user.id, email: user.email, name: user.name } : null,
          tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name },
          role: actor.type === 'user' ? actor.role : null,
          permissions: [...actorPermissions(actor)],
          memberships: user ? await membershipsOf(db, user.id) : [],
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/sessions',
      summary: 'Your own active console sessions',
      tags: ['Identity'],
      ...secured(PERSON),
      responses: { 200: { description: 'Sessions, most recently used first', content: { 'application/json': { schema: sessionListSchema } } }, ...problems },
    }),
    async (c) => {
      const call = c.get('call');
      const rows = await listOwnSessions(db, call);
      const current = call.actor.type === 'user' ? call.actor.sessionId : null;
      return c.json(
        {
          data: rows.map((s) => ({
            id: s.id,
            tenantId: s.tenantId,
            method: s.method,
            createdAt: s.createdAt.toISOString(),
            lastSeenAt: s.lastSeenAt.toISOString(),
            expiresAt: s.expiresAt.toISOString(),
            ip: s.ip,
            userAgent: s.userAgent,
            current: s.id === current,
          })),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/sessions/{id}',
      summary: 'Sign out one of your sessions',
      tags: ['Identity'],
      ...secured(PERSON),
      request: { params: idParam },
      responses: { 204: { description: 'Ended' }, ...problems },
    }),
    async (c) => {
      await revokeOwnSession(db, c.get('call'), c.req.valid('param').id);
      return c.body(null, 204);
    },
  );
}
