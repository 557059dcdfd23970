import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { parseWorkflowSource, workflowDocumentSchema, type WorkflowDocument } from '@orvanta/spec';
import type { Context } from 'hono';
import { AppError } from '../../errors.ts';
import { createWorkflow, findWorkflows, getWorkflow, saveWorkflowVersion } from '../../workflows/service.ts';
import { webhookUrls } from '../../workflows/webhooks.ts';
import type { ApiEnv, ServerDeps } from '../context.ts';
import { presentWorkflow, presentWorkflowSummary } from '../present.ts';
import { validationError } from '../problem.ts';
import { problem, problems, secured } from './common.ts';
import { idParam, pageQuery, workflowListSchema, workflowSchema } from '../schemas.ts';

const invalid = { 422: problem('The document does not validate; `errors` names each bad field with its line and column') };

/** The document is validated by @orvanta/spec (JSON or YAML, with line and column), the same schema the OpenAPI document shows. */
const documentBody = {
  required: true,
  content: {
    'application/json': { schema: workflowDocumentSchema },
    'application/yaml': { schema: workflowDocumentSchema },
  },
};

async function readDocument(c: Context): Promise<WorkflowDocument> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const format = type === 'application/json' || type.endsWith('+json') ? 'json' : ['application/yaml', 'application/x-yaml', 'text/yaml'].includes(type) ? 'yaml' : null;
  if (!format) {
    throw new AppError('unsupported_media_type', 'Unsupported content type', 'Send the workflow document as JSON (Content-Type: application/json) or YAML (Content-Type: application/yaml).');
  }
  const result = parseWorkflowSource(await c.req.text(), format);
  if (!result.ok) throw validationError(result.issues, `The workflow document is not valid: ${result.issues.map((i) => `${i.path || '(document)'}: ${i.message}`).join('; ')}`);
  return result.document;
}

export function registerWorkflowRoutes(app: OpenAPIHono<ApiEnv>, deps: ServerDeps) {
  const { db, config } = deps;
  const hookOf = async (w: { id: string; tenantId: string }) => (await webhookUrls(db, config.AUTH_SECRET, w.tenantId, [w.id])).get(w.id);

  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/workflows',
    summary: 'Create a workflow (version 1) from a JSON or YAML document',
    tags: ['Workflows'],
    ...secured('workflows.write'),
    request: { body: documentBody },
    responses: { 201: { description: 'Created', content: { 'application/json': { schema: workflowSchema } } }, 409: problems[404], ...problems, ...invalid },
  });
  app.post('/workflows', async (c) => {
    const workflow = await createWorkflow(db, c.get('call'), await readDocument(c), config.AUTH_SECRET);
    return c.json(presentWorkflow(workflow, await hookOf(workflow)), 201, { location: `/api/v1/workflows/${workflow.id}` });
  });

  app.openAPIRegistry.registerPath({
    method: 'put',
    path: '/workflows/{id}',
    summary: 'Save a new immutable version of a workflow',
    tags: ['Workflows'],
    ...secured('workflows.write'),
    request: { params: idParam, body: documentBody },
    responses: { 200: { description: 'The new version', content: { 'application/json': { schema: workflowSchema } } }, ...problems, ...invalid },
  });
  app.put('/workflows/:id', async (c) => {
    const workflow = await saveWorkflowVersion(db, c.get('call'), c.req.param('id'), await readDocument(c), config.AUTH_SECRET);
    return c.json(presentWorkflow(workflow, await hookOf(workflow)), 200);
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/workflows',
      summary: 'List workflows, newest first',
      tags: ['Workflows'],
      ...secured('workflows.read'),
      request: { query: z.object(pageQuery) },
      responses: { 200: { description: 'A page of workflows', content: { 'application/json': { schema: workflowListSchema } } }, ...problems },
    }),
    async (c) => {
      const call = c.get('call');
      const { items, nextCursor } = await findWorkflows(db, call, c.req.valid('query'));
      const hooks = await webhookUrls(db, config.AUTH_SECRET, call.actor.tenantId, items.map((w) => w.id));
      return c.json({ data: items.map((w) => presentWorkflowSummary(w, hooks.get(w.id))), nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/workflows/{id}',
      summary: 'Get a workflow with its latest document',
      tags: ['Workflows'],
      ...secured('workflows.read'),
      request: { params: idParam, query: z.object({ version: z.coerce.number().int().positive().optional() }) },
      responses: { 200: { description: 'The workflow', content: { 'application/json': { schema: workflowSchema } } }, ...problems },
    }),
    async (c) => {
      const workflow = await getWorkflow(db, c.get('call'), c.req.valid('param').id, c.req.valid('query').version);
      return c.json(presentWorkflow(workflow, await hookOf(workflow)), 200);
    },
  );
}
