import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { createApiKey, findApiKeys, revokeApiKey, rotateApiKey } from '../../api-keys/service.ts';
import type { ApiKey } from '../../db/generated/client.ts';
import type { ApiEnv, ServerDeps } from '../context.ts';
import { apiKeyBodySchema, apiKeyListSchema, newApiKeySchema, rotateBodySchema } from '../identity-schemas.ts';
import { idParam, pageQuery } from '../schemas.ts';
import { problem, problems, secured } from './common.ts';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function presentApiKey(k: ApiKey, creators: Map<string, string>) {
  const now = new Date();
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    scopes: k.scopes,
    environment: k.environment,
    rateLimitPerMinute: k.rateLimitPerMinute,
    createdAt: k.createdAt.toISOString(),
    createdBy: k.createdById ? { type: k.createdByType ?? 'user', id: k.createdById, ...(creators.has(k.createdById) ? { email: creators.get(k.createdById)! } : {}) } : null,
    lastUsedAt: iso(k.lastUsedAt),
    expiresAt: iso(k.expiresAt),
    revokedAt: iso(k.revokedAt),
    replacedById: k.replacedById,
    status: k.revokedAt ? ('revoked' as const) : k.expiresAt && k.expiresAt <= now ? ('expired' as const) : ('active' as const),
  };
}

export function registerApiKeyRoutes(app: OpenAPIHono<ApiEnv>, deps: ServerDeps) {
  const { db } = deps;
  const creatorEmails = async (keys: ApiKey[]) => {
    const ids = [...new Set(keys.filter((k) => k.createdById && k.createdByType !== 'api_key').map((k) => k.createdById!))];
    const users = ids.length ? await db.user.findMany({ where: { id: { in: ids } }, select: { id: true, email: true } }) : [];
    return new Map(users.map((u) => [u.id, u.email]));
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api-keys',
      summary: "List the tenant's API keys (never their secrets)",
      tags: ['API keys'],
      ...secured('api_keys.read'),
      request: { query: z.object(pageQuery) },
      responses: { 200: { description: 'A page of keys', content: { 'application/json': { schema: apiKeyListSchema } } }, ...problems },
    }),
    async (c) => {
      const { items, nextCursor } = await findApiKeys(db, c.get('call'), c.req.valid('query'));
      const creators = await creatorEmails(items);
      return c.json({ data: items.map((k) => presentApiKey(k, creators)), nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api-keys',
      summary: 'Create an API key',
      description: 'The secret is in this answer only. You can grant only scopes you hold yourself.',
      tags: ['API keys'],
      ...secured('api_keys.write'),
      request: { body: { required: true, content: { 'application/json': { schema: apiKeyBodySchema } } } },
      responses: { 201: { description: 'Created', content: { 'application/json': { schema: newApiKeySchema } } }, ...problems, 422: problem('Invalid scopes or expiry') },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const { key, secret } = await createApiKey(db, c.get('call'), { ...body, expiresAt: body.expiresAt ? new Date(body.expiresAt) : null });
      return c.json({ ...presentApiKey(key, await creatorEmails([key])), secret }, 201, { location: `/api/v1/api-keys/${key.id}` });
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/api-keys/{id}',
      summary: 'Revoke an API key: it stops working at once',
      tags: ['API keys'],
      ...secured('api_keys.write'),
      request: { params: idParam },
      responses: { 204: { description: 'Revoked' }, ...problems },
    }),
    async (c) => {
      await revokeApiKey(db, c.get('call'), c.req.valid('param').id);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api-keys/{id}/rotate',
      summary: 'Rotate an API key',
      description: 'Issues a new key with the same name and scopes; the old one keeps working for the grace period.',
      tags: ['API keys'],
      ...secured('api_keys.write'),
      request: { params: idParam, body: { required: false, content: { 'application/json': { schema: rotateBodySchema } } } },
      responses: { 201: { description: 'The new key', content: { 'application/json': { schema: newApiKeySchema } } }, ...problems, 409: problem('The key is revoked, expired, or already rotated') },
    }),
    async (c) => {
      const body = c.req.header('content-type') ? c.req.valid('json') : { gracePeriodSeconds: 24 * 3600 };
      const { key, secret, replaces } = await rotateApiKey(db, c.get('call'), c.req.valid('param').id, body.gracePeriodSeconds);
      return c.json({ ...presentApiKey(key, await creatorEmails([key])), secret, replaces }, 201);
    },
  );
}
