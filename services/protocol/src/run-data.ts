import { z } from 'zod';
import { nodeStatusSchema, runStatusSchema } from './events.ts';

const logEntrySchema = z.object({ level: z.string(), message: z.string(), at: z.string() });

/** What a data plane's ingress returns for `GET /v1/runs/{id}/data`. */
export const nodeExecutionDataSchema = z.object({
  messageId: z.string(),
  nodeId: z.string(),
  status: nodeStatusSchema,
  attempts: z.number().int(),
  input: z.unknown(),
  output: z.unknown().optional(),
  error: z.object({ class: z.string(), name: z.string().optional(), message: z.string(), stack: z.string().optional() }).optional(),
  logs: z.array(logEntrySchema),
  /** Failed attempts so far, oldest first. */
  history: z.array(z.object({ attempt: z.number().int(), error: z.object({ class: z.string(), message: z.string() }).loose(), logs: z.array(logEntrySchema).optional(), startedAt: z.string(), finishedAt: z.string() })).optional(),
  /** Set while the message is parked in the Trash (status `failed`), and after a decision. */
  trashItemId: z.string().optional(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export const runDataSchema = z.object({
  runId: z.string(),
  status: runStatusSchema,
  input: z.unknown(),
  output: z.unknown().optional(),
  error: nodeExecutionDataSchema.shape.error,
  nodes: z.array(nodeExecutionDataSchema),
});
export type RunData = z.infer<typeof runDataSchema>;
export type NodeExecutionData = z.infer<typeof nodeExecutionDataSchema>;
export const runDataPath = (runId: string) => `/v1/runs/${encodeURIComponent(runId)}/data`;
