import { z } from 'zod';
import { retrySpecSchema } from './retry.ts';

/** Node ids are referenced by edges and by run history, so they stay short and URL/log safe. */
export const NODE_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

/** Longest timeout any node may ask for, in milliseconds (1 hour). */
export const MAX_NODE_TIMEOUT_MS = 3_600_000;
/** Highest per-node concurrency limit. */
export const MAX_NODE_CONCURRENCY = 1_000;

export const nodeIdSchema = z
  .string()
  .regex(NODE_ID_PATTERN, {
    error: 'node id must start with a letter or "_", contain only letters, digits, "_" and "-", and be at most 64 characters',
  })
  .describe('Unique id of the node within the workflow; edges refer to nodes by this id.');

/**
 * Fields every node kind has. Each kind spreads this into its own strict object with a
 * literal `type`, so adding a kind is one new file plus one entry in `nodeKindSchemas`.
 */
export const nodeBaseShape = {
  /** Unique id of the node within the workflow (`/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/`); edges refer to nodes by this id. */
  id: nodeIdSchema,
  /** Human-readable label shown in the console and in run history; defaults to the id. */
  name: z.string().optional().describe('Human-readable label shown in the console and in run history; defaults to the id.'),
  /** How a failed message is tried again; without it a node is tried once. */
  retry: retrySpecSchema.optional(),
  /** Wall-clock limit for one try, in milliseconds (1..3600000); defaults to the data plane's limit for the kind. */
  timeoutMs: z
    .int({ error: 'timeoutMs must be an integer number of milliseconds' })
    .min(1, { error: 'timeoutMs must be at least 1' })
    .max(MAX_NODE_TIMEOUT_MS, { error: `timeoutMs must be at most ${MAX_NODE_TIMEOUT_MS}` })
    .optional()
    .describe("Wall-clock limit for one try, in milliseconds (1..3600000); defaults to the data plane's limit for the kind."),
  /** Most messages of this node running at once in one data plane (1..1000); unlimited beyond the data plane's own limits when absent. */
  concurrency: z
    .int({ error: 'concurrency must be an integer' })
    .min(1, { error: 'concurrency must be at least 1' })
    .max(MAX_NODE_CONCURRENCY, { error: `concurrency must be at most ${MAX_NODE_CONCURRENCY}` })
    .optional()
    .describe("Most messages of this node running at once in one data plane (1..1000); when absent, only the data plane's own limits apply."),
};
