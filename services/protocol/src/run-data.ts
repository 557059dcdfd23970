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

/**
 * `GET /v1/runs/{id}/logs` on the data plane's ingress: Server-Sent Events while the run is
 * live, with the same token as `/data` (`?token=`). Resume with `?after=<seq>` or the
 * `Last-Event-ID` header (EventSource sends it by itself). Events:
 * - `log` (`id:` = its `seq`): a line of a node still running, see `liveLogLineSchema`.
 * - `node`: a message started running (again) or stopped, see `liveNodeEventSchema`; read
 *   `/data` for its result, which then holds the node's logs for good.
 * - `run`: the run's status, first thing and whenever it changes; `end` when it is terminal,
 *   after which the server closes the stream.
 * Comment lines (`: ping`) keep idle connections open. The server also closes a stream when its
 * token expires (reconnect with a fresh link) and after a few minutes (EventSource reconnects).
 */
export const runLogsPath = (runId: string) => `/v1/runs/${encodeURIComponent(runId)}/logs`;

/** `event: log` of the live-logs stream. */
export const liveLogLineSchema = z.object({
  /** Cursor: ascending within a run; the event's `id`. A decimal string (a 64-bit integer). */
  seq: z.string(),
  messageId: z.string(),
  nodeId: z.string(),
  /** Lines of an earlier attempt (one that crashed) are superseded by the next attempt's. */
  attempt: z.number().int(),
  level: z.string(),
  message: z.string(),
  at: z.string(),
});
/** `event: node` of the live-logs stream. */
export const liveNodeEventSchema = z.object({ messageId: z.string(), nodeId: z.string(), status: nodeStatusSchema, attempt: z.number().int() });
/** `event: run` and `event: end` of the live-logs stream. */
export const liveRunEventSchema = z.object({ status: runStatusSchema });
export type LiveLogLine = z.infer<typeof liveLogLineSchema>;
export type LiveNodeEvent = z.infer<typeof liveNodeEventSchema>;
export type LiveRunEvent = z.infer<typeof liveRunEventSchema>;
