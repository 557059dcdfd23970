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

/** An environment (apps/console/src/server/api/routes/deployments.ts): deploys to a protected one need `deployments.protected`. */
export interface Environment {
  id: string;
  name: string;
  protected: boolean;
  createdAt: string;
}

/** One deploy of a workflow version to an environment; `live` marks the newest per environment. */
export interface Deployment {
  id: string;
  workflowId: string;
  environment: string;
  version: number;
  /** `type:id` of who deployed, e.g. `user:usr_…` or `api_key:key_…`. */
  createdBy: string | null;
  createdAt: string;
  live: boolean;
}

/** A secret as the API shows it (routes/secrets.ts): its name and version on one data plane, never its value. */
export interface Secret {
  name: string;
  dataPlaneId: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  /** `type:id` of who last set it. */
  updatedBy: string | null;
}

export type TrashStatus = 'parked' | 'approved' | 'rejected' | 'discarded';

/** A Trash item as the API shows it (routes/trash.ts): metadata only; its payload is on the data plane. */
export interface TrashItem {
  id: string;
  runId: string;
  workflowId: string;
  nodeId: string;
  dataPlaneId: string;
  errorClass: string;
  attempts: number;
  status: TrashStatus;
  payloadEdited: boolean;
  decidedBy: string | null;
  decidedAt: string | null;
  appliedAt: string | null;
  createdAt: string;
  links: { self: string; run: string };
}

export interface TrashBulkResult {
  decided: string[];
  skipped: { id: string; reason: 'not_found' | 'not_parked' }[];
  more: boolean;
}
