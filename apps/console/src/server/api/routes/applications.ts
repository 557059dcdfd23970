import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { listApplications, putApplication } from '../../applications/service.ts';
import type { Application } from '../../db/generated/client.ts';
import type { ApiEnv, ServerDeps } from '../context.ts';
import { problem, problems, secured } from './common.ts';

const rateLimit = z.object({ requests: z.number().int().min(1).max(1_000_000), perSeconds: z.number().int().min(1).max(86_400) });
const applicationSchema = z
  .object({ name: z.string(), rateLimit: rateLimit.nullable(), concurrency: z.number().int().nullable(), updatedAt: z.string() })
  .openapi('Application');
const present = (a: Application) => ({
  name: a.name,
  rateLimit: a.rateLimitRequests && a.rateLimitPerSeconds ? { requests: a.rateLimitRequests, perSeconds: a.rateLimitPerSeconds } : null,
  concurrency: a.concurrency,
  updatedAt: a.updatedAt.toISOString(),
});

export function registerApplicationRoutes(app: OpenAPIHono<ApiEnv>, deps: ServerDeps) {
  const { db } = deps;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/applications',
      summary: "The tenant's applications and their limits",
      tags: ['Applications'],
      ...secured('workflows.read'),
      responses: { 200: { description: 'Applications', content: { 'application/json': { schema: z.object({ data: z.array(applicationSchema) }) } } }, ...problems },
    }),
    async (c) => c.json({ data: (await listApplications(db, c.get('call'))).map(present) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/applications/{name}',
      summary: 'Set the rate limit and concurrency of an application, shared by every workflow of the tenant calling it',
      description: 'http nodes name their `application`. Without limits, calls still slow down by themselves when the application answers 429 or 503 with Retry-After.',
      tags: ['Applications'],
      ...secured('workflows.write'),
      request: {
        params: z.object({ name: z.string().min(1).max(64).openapi({ param: { name: 'name', in: 'path' }, example: 'stripe' }) }),
        body: { required: true, content: { 'application/json': { schema: z.object({ rateLimit: rateLimit.nullable().optional(), concurrency: z.number().int().min(1).max(10_000).nullable().optional() }).strict().openapi('ApplicationRequest') } } },
      },
      responses: { 200: { description: 'Saved', content: { 'application/json': { schema: applicationSchema } } }, ...problems, 422: problem('Invalid name or limits') },
    }),
    async (c) => c.json(present(await putApplication(db, c.get('call'), c.req.valid('param').name, c.req.valid('json'))), 200),
  );
}
