import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Secret } from '../../db/generated/client.ts';
import { deleteSecret, listSecrets, putSecret } from '../../secrets/service.ts';
import type { ApiEnv, ServerDeps } from '../context.ts';
import { problem, problems, secured } from './common.ts';

const secretSchema = z
  .object({ name: z.string(), dataPlaneId: z.string(), version: z.number().int(), createdAt: z.string(), updatedAt: z.string(), updatedBy: z.string().nullable() })
  .openapi('Secret', { description: 'A secret as the API shows it: never its value.' });
const nameParam = z.object({ name: z.string().min(1).max(64).openapi({ param: { name: 'name', in: 'path' }, example: 'STRIPE_KEY' }) });

const present = (s: Secret) => ({ name: s.name, dataPlaneId: s.dataPlaneId, version: s.version, createdAt: s.createdAt.toISOString(), updatedAt: s.updatedAt.toISOString(), updatedBy: s.updatedBy });

export function registerSecretRoutes(app: OpenAPIHono<ApiEnv>, deps: ServerDeps) {
  const { db } = deps;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/secrets',
      summary: "The tenant's secrets (names and versions; values are never returned)",
      tags: ['Secrets'],
      ...secured('secrets.read'),
      responses: { 200: { description: 'Secrets', content: { 'application/json': { schema: z.object({ data: z.array(secretSchema) }) } } }, ...problems },
    }),
    async (c) => c.json({ data: (await listSecrets(db, c.get('call'))).map(present) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/secrets/{name}',
      summary: 'Set a secret on a data plane (the tenant’s home one by default)',
      description: 'Workflows reference it as `{{ secrets.NAME }}`. The value is stored encrypted on the data plane only and redacted from logs, outputs and errors.',
      tags: ['Secrets'],
      ...secured('secrets.write'),
      request: {
        params: nameParam,
        body: { required: true, content: { 'application/json': { schema: z.object({ value: z.string().min(1), dataPlaneId: z.string().max(64).optional() }).strict().openapi('SecretRequest') } } },
      },
      responses: { 200: { description: 'Saved', content: { 'application/json': { schema: secretSchema } } }, ...problems, 413: problem('Value over 64 KiB'), 422: problem('Invalid name or data plane') },
    }),
    async (c) => c.json(present(await putSecret(db, c.get('call'), c.req.valid('param').name, c.req.valid('json'))), 200),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/secrets/{name}',
      summary: 'Delete a secret (from every data plane, or one with ?dataPlaneId=)',
      tags: ['Secrets'],
      ...secured('secrets.write'),
      request: { params: nameParam, query: z.object({ dataPlaneId: z.string().max(64).optional() }) },
      responses: { 204: { description: 'Deleted' }, ...problems },
    }),
    async (c) => {
      await deleteSecret(db, c.get('call'), c.req.valid('param').name, c.req.valid('query').dataPlaneId);
      return c.body(null, 204);
    },
  );
}
