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
    /** The run's resumption count when it finished (see `run.resumed`); 0 when absent. */
    resumption: z.number().int().nonnegative().optional(),
  }),
});

/** A failed run reopened because a Trash item of it was approved: it continues at `nodeId`. */
export const runResumedEventSchema = z.object({
  type: z.literal('run.resumed'),
  payload: z.object({ ...base, nodeId: z.string(), resumption: z.number().int().positive() }),
});

export const trashItemStatusSchema = z.enum(['parked', 'approved', 'rejected', 'discarded']);
export type TrashItemStatus = z.infer<typeof trashItemStatusSchema>;

/** A message exhausted its retries and was parked in the Trash (metadata only). */
export const trashParkedEventSchema = z.object({
  type: z.literal('trash.parked'),
  payload: z.object({ ...base, trashItemId: z.string(), workflowId: z.string(), nodeId: z.string(), errorClass: z.string(), attempts: z.number().int().nonnegative() }),
});

/** The data plane applied a decision on a Trash item, or discarded it with its cancelled run. */
export const trashUpdatedEventSchema = z.object({
  type: z.literal('trash.updated'),
  payload: z.object({ ...base, trashItemId: z.string(), status: trashItemStatusSchema.exclude(['parked']) }),
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
  runResumedEventSchema,
  trashParkedEventSchema,
  trashUpdatedEventSchema,
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
