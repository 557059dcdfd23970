import { z } from 'zod';

/**
 * Events flow from a data plane to the control plane. They carry metadata only — ids,
 * statuses, timings, sizes, error classes — never customer payloads or error messages
 * (which can quote customer data); those stay in the data plane.
 */

export const runStatusSchema = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);
export type RunStatus = z.infer<typeof runStatusSchema>;
export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled'];

export const nodeStatusSchema = z.enum(['pending', 'running', 'succeeded', 'failed', 'cancelled']);
export type NodeStatus = z.infer<typeof nodeStatusSchema>;

const base = { runId: z.string(), tenantId: z.string(), at: z.string() };

export const runStartedEventSchema = z.object({ type: z.literal('run.started'), payload: z.object({ ...base }) });
export const runFinishedEventSchema = z.object({
  type: z.literal('run.finished'),
  payload: z.object({
    ...base,
    status: z.enum(['succeeded', 'failed', 'cancelled']),
    errorClass: z.string().optional(),
    errorNodeId: z.string().optional(),
    outputBytes: z.number().int().nonnegative().optional(),
  }),
});
export const nodeStatusEventSchema = z.object({
  type: z.literal('node.status'),
  payload: z.object({
    ...base,
    nodeId: z.string(),
    status: nodeStatusSchema,
    attempt: z.number().int().positive().optional(),
    errorClass: z.string().optional(),
  }),
});
export const runAcceptedEventSchema = z.object({
  type: z.literal('run.accepted'),
  payload: z.object({ ...base, inputBytes: z.number().int().nonnegative() }),
});

/** A run the data plane started by itself (a webhook): the control plane records its metadata. */
export const runCreatedEventSchema = z.object({
  type: z.literal('run.created'),
  payload: z.object({ ...base, workflowId: z.string(), workflowVersionId: z.string(), trigger: z.string(), inputBytes: z.number().int().nonnegative() }),
});

export const eventBodySchema = z.discriminatedUnion('type', [
  runCreatedEventSchema,
  runAcceptedEventSchema,
  runStartedEventSchema,
  nodeStatusEventSchema,
  runFinishedEventSchema,
]);
export type EventBody = z.infer<typeof eventBodySchema>;
export type EventType = EventBody['type'];

export const eventEnvelopeSchema = z.intersection(
  z.object({ id: z.string(), seq: z.string(), occurredAt: z.string() }),
  eventBodySchema,
);
export type EventEnvelope = z.infer<typeof eventEnvelopeSchema>;

export const eventBatchSchema = z.object({ events: z.array(eventEnvelopeSchema).max(1000) });
export type EventBatch = z.infer<typeof eventBatchSchema>;
