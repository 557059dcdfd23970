import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Deployment, Environment } from '../../db/generated/client.ts';
import { deployWorkflow, listDeployments, listEnvironments, putEnvironment } from '../../deployments/service.ts';
import type { ApiEnv, ServerDeps } from '../context.ts';
import { idParam } from '../schemas.ts';
import { problem, problems, secured } from './common.ts';

const environmentSchema = z
  .object({ id: z.string(), name: z.string(), protected: z.boolean().openapi({ description: 'Deploys need deployments.protected (owner, admin).' }), createdAt: z.string() })
  .openapi('Environment');
const deploymentSchema = z
  .object({
    id: z.string(),
    workflowId: z.string(),
    environment: z.string(),
    version: z.number().int(),
    dataPlaneId: z.string().nullable().openapi({ description: "Where its runs execute; null on deployments made before pinning (they use the tenant's home data plane)." }),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    live: z.boolean(),
  })
  .openapi('Deployment');
const nameParam = z.object({ name: z.string().min(1).max(64).openapi({ param: { name: 'name', in: 'path' } }) });

const presentEnvironment = (e: Environment) => ({ id: e.id, name: e.name, protected: e.protected, createdAt: e.createdAt.toISOString() });
const presentDeployment = (d: Deployment & { environment: Environment }, live: boolean) => ({
  id: d.id,
  workflowId: d.workflowId,
  environment: d.environment.name,
  version: d.version,
  dataPlaneId: d.dataPlaneId,
  createdBy: d.createdBy,
  createdAt: d.createdAt.toISOString(),
  live,
});

export function registerDeploymentRoutes(app: OpenAPIHono<ApiEnv>, deps: ServerDeps) {
  const { db } = deps;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/environments',
      summary: "The tenant's environments",
      tags: ['Deployments'],
      ...secured('workflows.read'),
      responses: { 200: { description: 'Environments', content: { 'application/json': { schema: z.object({ data: z.array(environmentSchema) }) } } }, ...problems },
    }),
    async (c) => c.json({ data: (await listEnvironments(db, c.get('call'))).map(presentEnvironment) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/environments/{name}',
      summary: 'Create an environment, or change whether deploys to it need an admin',
      tags: ['Deployments'],
      ...secured('settings.write'),
      request: { params: nameParam, body: { required: true, content: { 'application/json': { schema: z.object({ protected: z.boolean() }).strict().openapi('EnvironmentRequest') } } } },
      responses: { 200: { description: 'The environment', content: { 'application/json': { schema: environmentSchema } } }, ...problems, 422: problem('Invalid name') },
    }),
    async (c) => c.json(presentEnvironment(await putEnvironment(db, c.get('call'), c.req.valid('param').name, c.req.valid('json'))), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/workflows/{id}/deployments',
      summary: 'Deploy a version of the workflow to an environment (an older version rolls back)',
      description: 'New runs in the environment take this version; runs in flight finish on theirs. Protected environments need deployments.protected.',
      tags: ['Deployments'],
      ...secured('deployments.write'),
      request: {
        params: idParam,
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z
                .object({
                  environment: z.string().min(1).max(64),
                  version: z.number().int().positive().optional().openapi({ description: 'Default: the latest version.' }),
                  dataPlaneId: z.string().min(1).max(64).optional().openapi({ description: "The data plane runs of this deployment execute on. Default: the environment's current one, else the tenant's home. Another one than before moves the workflow (audited)." }),
                })
                .strict()
                .openapi('DeploymentRequest'),
            },
          },
        },
      },
      responses: { 201: { description: 'Deployed', content: { 'application/json': { schema: deploymentSchema } } }, ...problems, 422: problem('Unknown environment or data plane, or a data plane outside the region policy') },
    }),
    async (c) => {
      const deployment = await deployWorkflow(db, c.get('call'), { regions: deps.regions, authSecret: deps.config.AUTH_SECRET }, c.req.valid('param').id, c.req.valid('json'));
      return c.json(presentDeployment(deployment, true), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/workflows/{id}/deployments',
      summary: "The workflow's deployments, newest first; `live` marks what each environment runs",
      tags: ['Deployments'],
      ...secured('workflows.read'),
      request: { params: idParam },
      responses: { 200: { description: 'Deployments', content: { 'application/json': { schema: z.object({ data: z.array(deploymentSchema) }) } } }, ...problems },
    }),
    async (c) => {
      const rows = await listDeployments(db, c.get('call'), c.req.valid('param').id);
      const seen = new Set<string>();
      return c.json(
        {
          data: rows.map((d) => {
            const live = !seen.has(d.environmentId);
            seen.add(d.environmentId);
            return presentDeployment(d, live);
          }),
        },
        200,
      );
    },
  );
}
