import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { TrashItem } from '../../db/generated/client.ts';
import { decideTrashItem, decideTrashItems, findTrash, getTrashItem, MAX_BULK, type Decision } from '../../trash/service.ts';
import type { ApiEnv, ServerDeps } from '../context.ts';
import { idParam, pageQuery } from '../schemas.ts';
import { problem, problems, secured } from './common.ts';

const trashStatusSchema = z.enum(['parked', 'approved', 'rejected', 'discarded']);

const trashItemSchema = z
  .object({
    id: z.string(),
    runId: z.string(),
    workflowId: z.string(),
    nodeId: z.string(),
    dataPlaneId: z.string(),
    errorClass: z.string(),
    attempts: z.number().int(),
    status: trashStatusSchema.openapi({ description: '`parked` until decided; `discarded` when its run was cancelled.' }),
    payloadEdited: z.boolean(),
    decidedBy: z.string().nullable(),
    decidedAt: z.string().nullable(),
    appliedAt: z.string().nullable().openapi({ description: 'When the data plane confirmed the decision.' }),
    createdAt: z.string(),
    links: z.object({ self: z.string(), run: z.string() }),
  })
  .openapi('TrashItem', {
    description: 'A message that exhausted its retries. Its payload, error message and attempt history stay on its data plane: read them with the run’s `links.data`.',
  });

const filterShape = {
  workflowId: z.string().max(64).optional(),
  runId: z.string().max(64).optional(),
  nodeId: z.string().max(128).optional(),
  errorClass: z.string().max(128).optional(),
};

const bulkRequest = z
  .object({
    ids: z.array(z.string().min(1).max(64)).min(1).max(MAX_BULK).optional(),
    filter: z.object(filterShape).strict().optional(),
  })
  .strict()
  .refine((b) => (b.ids === undefined) !== (b.filter === undefined), { message: 'give either ids or filter' })
  .openapi('TrashBulkRequest', { description: `Either \`ids\` (up to ${MAX_BULK}) or a \`filter\` over parked items (up to ${MAX_BULK} per call; \`more\` says when to call again).` });

const bulkResult = z
  .object({
    decided: z.array(z.string()),
    skipped: z.array(z.object({ id: z.string(), reason: z.enum(['not_found', 'not_parked']) })),
    more: z.boolean(),
  })
  .openapi('TrashBulkResult');

const present = (t: TrashItem) => ({
  id: t.id,
  runId: t.runId,
  workflowId: t.workflowId,
  nodeId: t.nodeId,
  dataPlaneId: t.dataPlaneId,
  errorClass: t.errorClass,
  attempts: t.attempts,
  status: t.status as z.infer<typeof trashStatusSchema>,
  payloadEdited: t.edited,
  decidedBy: t.decidedBy,
  decidedAt: t.decidedAt?.toISOString() ?? null,
  appliedAt: t.appliedAt?.toISOString() ?? null,
  createdAt: t.createdAt.toISOString(),
  links: { self: `/api/v1/trash/${t.id}`, run: `/api/v1/runs/${t.runId}` },
});

export function registerTrashRoutes(app: OpenAPIHono<ApiEnv>, deps: ServerDeps) {
  const { db, config } = deps;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/trash',
      summary: 'List Trash items, newest first',
      tags: ['Trash'],
      ...secured('trash.read'),
      request: { query: z.object({ status: trashStatusSchema.optional(), ...filterShape, ...pageQuery }) },
      responses: {
        200: { description: 'A page of Trash items', content: { 'application/json': { schema: z.object({ data: z.array(trashItemSchema), nextCursor: z.string().nullable() }) } } },
        ...problems,
        422: problem('Invalid filter'),
      },
    }),
    async (c) => {
      const { items, nextCursor } = await findTrash(db, c.get('call'), c.req.valid('query'));
      return c.json({ data: items.map(present), nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/trash/{id}',
      summary: 'Get a Trash item',
      tags: ['Trash'],
      ...secured('trash.read'),
      request: { params: idParam },
      responses: { 200: { description: 'The item', content: { 'application/json': { schema: trashItemSchema } } }, ...problems },
    }),
    async (c) => c.json(present(await getTrashItem(db, c.get('call'), c.req.valid('param').id)), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/trash/{id}/approve',
      summary: 'Approve a Trash item: its message goes back to the failed node, with the edited payload if one is given',
      description: 'The run continues from the failed node, not from the start; a run that had failed on it is reopened. With `payload`, the message carries that instead (it goes to the data plane and is not kept here).',
      tags: ['Trash'],
      ...secured('trash.write'),
      request: {
        params: idParam,
        body: { required: false, content: { 'application/json': { schema: z.object({ payload: z.unknown().optional() }).strict().openapi('TrashApproveRequest') } } },
      },
      responses: {
        202: { description: 'Approved; the data plane applies it', content: { 'application/json': { schema: trashItemSchema } } },
        ...problems,
        409: problem('The item was already decided'),
        413: problem('Edited payload over the limit'),
      },
    }),
    async (c) => {
      const body = (c.req.header('content-type')?.includes('json') ? c.req.valid('json') : undefined) ?? {};
      const edited = 'payload' in body ? { payload: body.payload ?? null } : undefined;
      const item = await decideTrashItem(db, c.get('call'), c.req.valid('param').id, 'approve', { edited, maxPayloadBytes: config.MAX_PAYLOAD_BYTES });
      return c.json(present(item), 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/trash/{id}/reject',
      summary: 'Reject a Trash item: its failure stands and the run ends failed',
      tags: ['Trash'],
      ...secured('trash.write'),
      request: { params: idParam },
      responses: { 202: { description: 'Rejected; the data plane applies it', content: { 'application/json': { schema: trashItemSchema } } }, ...problems, 409: problem('The item was already decided') },
    }),
    async (c) => c.json(present(await decideTrashItem(db, c.get('call'), c.req.valid('param').id, 'reject', { maxPayloadBytes: config.MAX_PAYLOAD_BYTES })), 202),
  );

  for (const decision of ['approve', 'reject'] as const satisfies Decision[]) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/trash/${decision}`,
        summary: decision === 'approve' ? 'Approve many Trash items, by ids or by filter' : 'Reject many Trash items, by ids or by filter',
        tags: ['Trash'],
        ...secured('trash.write'),
        request: { body: { required: true, content: { 'application/json': { schema: bulkRequest } } } },
        responses: { 200: { description: 'What was decided and what was skipped', content: { 'application/json': { schema: bulkResult } } }, ...problems, 422: problem('Neither or both of ids and filter') },
      }),
      async (c) => c.json(await decideTrashItems(db, c.get('call'), decision, c.req.valid('json')), 200),
    );
  }
}
