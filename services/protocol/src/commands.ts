import { z } from 'zod';

/**
 * Commands flow from the control plane to one data plane. Each is delivered at least
 * once, in `seq` order, until acknowledged; the data plane applies each `id` once.
 */

/** A workflow version as the data plane stores and runs it. */
export const workflowVersionRefSchema = z.object({
  /** Id of the immutable version. */
  id: z.string(),
  workflowId: z.string(),
  /** 1, 2, 3… per workflow. */
  version: z.number().int().positive(),
  /** The validated workflow document (see `@orvanta/spec`). */
  document: z.record(z.string(), z.unknown()),
});

export const runStartCommandSchema = z.object({
  type: z.literal('run.start'),
  payload: z.object({
    runId: z.string(),
    tenantId: z.string(),
    trigger: z.string(),
    workflowVersion: workflowVersionRefSchema,
    /** The environment whose deployment this run uses (absent: the latest version); its subworkflows use the same. */
    environment: z.string().optional(),
    /** W3C trace context of the request that started the run. */
    traceparent: z.string().optional(),
  }),
  /** Customer data in transit; the control plane erases it once this command is acked. */
  customerData: z.object({ input: z.unknown() }),
});

export const runCancelCommandSchema = z.object({
  type: z.literal('run.cancel'),
  payload: z.object({ runId: z.string(), tenantId: z.string() }),
  customerData: z.null().optional(),
});

/** Sets a tenant's secret on the data plane; newer versions win, older ones are ignored. */
export const secretPutCommandSchema = z.object({
  type: z.literal('secret.put'),
  payload: z.object({ tenantId: z.string(), name: z.string(), version: z.number().int().positive() }),
  /** The value, in transit only: erased from the control plane once acked. */
  customerData: z.object({ value: z.string() }),
});

export const secretDeleteCommandSchema = z.object({
  type: z.literal('secret.delete'),
  payload: z.object({ tenantId: z.string(), name: z.string(), version: z.number().int().positive() }),
  customerData: z.null().optional(),
});

/**
 * Points a workflow's triggers at a version: the webhook (the data plane accepts POSTs to
 * `/v1/hooks/<token>` where sha256(token) = `tokenHash`) and the schedule in the document's
 * `triggers`. The data plane starts those runs itself.
 */
export const triggersRegisterCommandSchema = z.object({
  type: z.literal('triggers.register'),
  payload: z.object({
    tenantId: z.string(),
    workflowId: z.string(),
    tokenHash: z.string(),
    workflowVersion: workflowVersionRefSchema,
    /** The version deployed to the tenant's default environment: applied even when older (a rollback). */
    deployed: z.boolean().optional(),
  }),
  customerData: z.null().optional(),
});

/**
 * A deployment pinned to this data plane: `workflowVersion` is live in `environment` (a
 * subworkflow node finds its child's version there). Null: the deployment left this data plane.
 */
export const deploymentPutCommandSchema = z.object({
  type: z.literal('deployment.put'),
  payload: z.object({ tenantId: z.string(), workflowId: z.string(), environment: z.string(), workflowVersion: workflowVersionRefSchema.nullable() }),
  customerData: z.null().optional(),
});

/** The workflow's triggers moved to another data plane: this one stops serving its webhook and schedule. */
export const triggersUnregisterCommandSchema = z.object({
  type: z.literal('triggers.unregister'),
  payload: z.object({ tenantId: z.string(), workflowId: z.string() }),
  customerData: z.null().optional(),
});

/** An application's limits for a tenant (rate and concurrency of the http nodes calling it). */
export const applicationPutCommandSchema = z.object({
  type: z.literal('application.put'),
  payload: z.object({
    tenantId: z.string(),
    name: z.string(),
    rateLimitRequests: z.number().int().positive().nullable(),
    rateLimitPerSeconds: z.number().int().positive().nullable(),
    concurrency: z.number().int().positive().nullable(),
  }),
  customerData: z.null().optional(),
});

/**
 * An operator's decision on a Trash item: `approve` re-injects the parked message at its
 * node (with `customerData.payload` in place of its payload when it was edited), `reject`
 * settles it as failed for good.
 */
export const trashResolveCommandSchema = z.object({
  type: z.literal('trash.resolve'),
  payload: z.object({ tenantId: z.string(), trashItemId: z.string(), decision: z.enum(['approve', 'reject']) }),
  /** The edited payload, in transit only: erased from the control plane once acked. */
  customerData: z.object({ payload: z.unknown() }).nullable().optional(),
});

export const commandBodySchema = z.discriminatedUnion('type', [deploymentPutCommandSchema, triggersUnregisterCommandSchema, trashResolveCommandSchema, applicationPutCommandSchema, runStartCommandSchema, runCancelCommandSchema, secretPutCommandSchema, secretDeleteCommandSchema, triggersRegisterCommandSchema]);
export type CommandBody = z.infer<typeof commandBodySchema>;
export type CommandType = CommandBody['type'];

export const commandEnvelopeSchema = z.intersection(
  z.object({
    /** Unique id; applying is idempotent by it. */
    id: z.string(),
    /** Position in this data plane's command stream (a decimal string: it is a bigint). */
    seq: z.string(),
    createdAt: z.string(),
  }),
  commandBodySchema,
);
export type CommandEnvelope = z.infer<typeof commandEnvelopeSchema>;

export const commandBatchSchema = z.object({ commands: z.array(commandEnvelopeSchema) });

/**
 * A batch read leniently: each item is checked on its own, so one that this side does not
 * understand (sent by a newer peer) is set apart instead of failing the whole batch.
 */
export const looseBatchItemSchema = z.looseObject({ id: z.string(), type: z.string() });

export function splitKnown<T>(items: unknown[], schema: z.ZodType<T>): { known: T[]; unknown: { id: string; type: string; problem: string }[] } {
  const known: T[] = [];
  const unknown: { id: string; type: string; problem: string }[] = [];
  for (const item of items) {
    const parsed = schema.safeParse(item);
    if (parsed.success) known.push(parsed.data);
    else {
      const head = looseBatchItemSchema.safeParse(item);
      unknown.push({ id: head.success ? head.data.id : '?', type: head.success ? head.data.type : '?', problem: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    }
  }
  return { known, unknown };
}
export const ackRequestSchema = z.object({ ids: z.array(z.string()).min(1).max(1000) });
