import { z } from '@hono/zod-openapi';
import { nodeStatusSchema, runStatusSchema } from '@orvanta/protocol';

/** Response and request shapes of /api/v1, shared by validation and the OpenAPI document. */

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z
      .array(z.object({ path: z.string(), pointer: z.string().optional(), message: z.string(), line: z.number().optional(), column: z.number().optional() }))
      .optional(),
  })
  .openapi('Problem');

export const idParam = z.object({ id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' } }) });

export const pageQuery = {
  cursor: z.string().max(200).optional().openapi({ description: 'The `nextCursor` of the previous page.' }),
  limit: z.coerce.number().int().min(1).max(200).default(50),
};

export const workflowSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    version: z.number().int().openapi({ description: 'The latest version; every save creates a new one.' }),
    createdAt: z.string(),
    updatedAt: z.string(),
    document: z.record(z.string(), z.unknown()),
    links: z.object({
      self: z.string(),
      runs: z.string(),
      webhook: z.string().optional().openapi({ description: "POST here to start a run (on the tenant's data plane; its input is `{body, headers, query}`). A repeated X-GitHub-Delivery, webhook-id, Stripe event id or Idempotency-Key starts nothing new. Keep it secret: the URL is the credential." }),
    }),
  })
  .openapi('Workflow');

export const workflowListSchema = z.object({ data: z.array(workflowSchema.omit({ document: true })), nextCursor: z.string().nullable() }).openapi('WorkflowList');

export const startRunBodySchema = z
  .object({
    input: z.unknown().optional().openapi({ description: 'Any JSON value: the message that enters the workflow.' }),
    environment: z.string().max(64).optional().openapi({ description: "Run the version deployed in this environment. Without it, the latest version (or, for a key bound to an environment, that environment's)." }),
  })
  .strict()
  .openapi('StartRun');

export const runNodeSchema = z.object({
  id: z.string(),
  status: nodeStatusSchema,
  attempts: z.number().int(),
  errorClass: z.string().nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});

export const runSchema = z
  .object({
    id: z.string(),
    workflowId: z.string(),
    workflowVersion: z.number().int(),
    status: runStatusSchema,
    trigger: z.string(),
    environment: z.string().nullable().openapi({ description: 'The environment whose deployed version the run uses; null = the latest version.' }),
    region: z.string(),
    dataPlaneId: z.string(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    cancelRequestedAt: z.string().nullable(),
    inputBytes: z.number().int().nullable(),
    outputBytes: z.number().int().nullable(),
    error: z.object({ class: z.string(), nodeId: z.string().nullable() }).nullable(),
    parked: z.number().int().openapi({ description: 'Messages of this run in the Trash, waiting for a decision or for an approval to reach the data plane. A failed run with parked messages reopens when one is approved.' }),
    nodes: z.array(runNodeSchema),
    links: z.object({
      self: z.string(),
      workflow: z.string(),
      data: z.string().optional().openapi({
        description: "Short-lived signed URL on the run's data plane returning its input, each node's output and logs, and its output.",
      }),
      dataExpiresAt: z.string().optional(),
    }),
  })
  .openapi('Run');

export const runListSchema = z.object({ data: z.array(runSchema), nextCursor: z.string().nullable() }).openapi('RunList');

export const runListQuery = z.object({
  workflowId: z.string().max(64).optional(),
  status: runStatusSchema.optional(),
  ...pageQuery,
});
