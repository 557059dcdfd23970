import type { z } from '@hono/zod-openapi';
import type { NodeExecutionData, RunData } from '@orvanta/protocol';
import type { problemSchema, runSchema, workflowListSchema, workflowSchema } from '@/server/api/schemas';

/** The shapes the console reads from /api/v1 and from a data plane (types only: nothing here ships to the browser). */
export type Run = z.infer<typeof runSchema>;
export type RunStatus = Run['status'];
export type RunNode = Run['nodes'][number];
export type NodeStatus = RunNode['status'];
export type Workflow = z.infer<typeof workflowSchema>;
export type WorkflowSummary = z.infer<typeof workflowListSchema>['data'][number];
export type Page<T> = { data: T[]; nextCursor: string | null };
export type Problem = z.infer<typeof problemSchema>;
export type { NodeExecutionData, RunData };

export const RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

export const isTerminal = (status: RunStatus): boolean => status === 'succeeded' || status === 'failed' || status === 'cancelled';
