import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENCY_KEY_PATTERN, IDEMPOTENCY_KEY_RULE, IDEMPOTENT_REPLAYED_HEADER } from '../../runs/idempotency.ts';
import { cancelRun, cancelWorkflowRuns, findRuns, getRun, runDataLink, startRun } from '../../runs/service.ts';
import type { ApiEnv, ServerDeps } from '../context.ts';
import { presentRun } from '../present.ts';
import { problem, problems, secured } from './common.ts';
import { idParam, runListQuery, runListSchema, runSchema, startRunBodySchema } from '../schemas.ts';

const startRunHeaders = z.object({
  [IDEMPOTENCY_KEY_HEADER]: z
    .string()
    .regex(IDEMPOTENCY_KEY_PATTERN, IDEMPOTENCY_KEY_RULE)
    .optional()
    .openapi({
      description:
        'Makes retries safe: the same key with the same request (workflow, environment and body) within 24 hours answers `200` with the run the first request started, and starts nothing. The same key with a different request is refused with `422`. Keys are per tenant; use a fresh random one (such as a UUID) per run you mean to start.',
      example: '8e03978e-40d5-43e8-bc93-6894a57f9324',
    }),
});

export function registerRunRoutes(app: OpenAPIHono<ApiEnv>, deps: ServerDeps) {
  const { db, signer, config } = deps;

  app.openapi(
    createRoute({
      method: 'post',
      path: '/workflows/{id}/runs',
      summary: "Start a run of the workflow's latest version",
      tags: ['Runs'],
      ...secured('runs.write'),
      request: { params: idParam, headers: startRunHeaders, body: { required: false, content: { 'application/json': { schema: startRunBodySchema } } } },
      responses: {
        200: {
          description: `Replayed: an earlier request with the same \`${IDEMPOTENCY_KEY_HEADER}\` started this run; nothing new was started`,
          headers: z.object({ [IDEMPOTENT_REPLAYED_HEADER]: z.literal('true').openapi({ description: 'Present on replayed answers only.' }) }),
          content: { 'application/json': { schema: runSchema } },
        },
        202: { description: 'Queued; poll the run or watch it in the console', content: { 'application/json': { schema: runSchema } } },
        ...problems,
        413: problem('Input larger than the configured limit'),
        422: problem(`Invalid body or \`${IDEMPOTENCY_KEY_HEADER}\`, the key was already used for a different request, or no data plane to run on`),
      },
    }),
    async (c) => {
      const call = c.get('call');
      const body = (c.req.header('content-type') ? c.req.valid('json') : {}) as { input?: unknown; environment?: string };
      const run = await startRun(db, call, {
        workflowId: c.req.valid('param').id,
        input: body.input,
        environment: body.environment,
        trigger: 'api',
        maxPayloadBytes: config.MAX_PAYLOAD_BYTES,
        regions: deps.regions,
        idempotencyKey: c.req.valid('header')[IDEMPOTENCY_KEY_HEADER],
        hashSecret: config.AUTH_SECRET,
      });
      const location = `/api/v1/runs/${run.id}`;
      if (run.replayed) return c.json(presentRun(run), 200, { location, [IDEMPOTENT_REPLAYED_HEADER]: 'true' });
      return c.json(presentRun(run), 202, { location });
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/runs',
      summary: 'List runs, newest first',
      tags: ['Runs'],
      ...secured('runs.read'),
      request: { query: runListQuery },
      responses: { 200: { description: 'A page of runs', content: { 'application/json': { schema: runListSchema } } }, ...problems, 422: problem('Invalid filter') },
    }),
    async (c) => {
      const { items, nextCursor } = await findRuns(db, c.get('call'), c.req.valid('query'));
      return c.json({ data: items.map((r) => presentRun(r)), nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/runs/{id}',
      summary: 'Get run metadata and a signed link to its data on the data plane',
      tags: ['Runs'],
      ...secured('runs.read'),
      request: { params: idParam },
      responses: { 200: { description: 'The run', content: { 'application/json': { schema: runSchema } } }, ...problems },
    }),
    async (c) => {
      const call = c.get('call');
      const run = await getRun(db, call, c.req.valid('param').id);
      return c.json(presentRun(run, await runDataLink(signer, call, run)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/runs/{id}/cancel',
      summary: 'Cancel a run: no further nodes start',
      tags: ['Runs'],
      ...secured('runs.write'),
      request: { params: idParam },
      responses: { 202: { description: 'Cancellation requested', content: { 'application/json': { schema: runSchema } } }, ...problems, 409: problem('The run has already finished') },
    }),
    async (c) => {
      const run = await cancelRun(db, c.get('call'), c.req.valid('param').id);
      return c.json(presentRun(run), 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/workflows/{id}/runs/cancel',
      summary: 'Cancel every unfinished run of the workflow: no further node of any of them starts',
      tags: ['Runs'],
      ...secured('runs.write'),
      request: { params: idParam },
      responses: { 202: { description: 'Cancellation requested for these runs', content: { 'application/json': { schema: z.object({ cancelled: z.array(z.string()) }).openapi('CancelledRuns') } } }, ...problems },
    }),
    async (c) => c.json(await cancelWorkflowRuns(db, c.get('call'), c.req.valid('param').id), 202),
  );
}
