import type { WorkflowWithVersion } from '../workflows/service.ts';
import type { RunWithNodes } from '../runs/service.ts';
import type { NodeStatus, RunStatus } from '@orvanta/protocol';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A workflow summary, as lists show it. */
export function presentWorkflowSummary(w: Omit<WorkflowWithVersion, 'current'>, webhook?: string) {
  return {
    id: w.id,
    name: w.name,
    version: w.latestVersion,
    createdAt: w.createdAt.toISOString(),
    updatedAt: w.updatedAt.toISOString(),
    links: { self: `/api/v1/workflows/${w.id}`, runs: `/api/v1/runs?workflowId=${w.id}`, ...(webhook ? { webhook } : {}) },
  };
}

export function presentWorkflow(w: WorkflowWithVersion, webhook?: string) {
  return { ...presentWorkflowSummary(w, webhook), document: w.current.document as Record<string, unknown> };
}

export function presentRun(run: RunWithNodes, data?: { href: string; expiresAt: Date } | null) {
  // Nodes in document order, so clients can draw them as the workflow reads.
  const order = (run.workflowVersion.document as { nodes: { id: string }[] }).nodes.map((n) => n.id);
  const byId = new Map(run.nodes.map((n) => [n.nodeId, n]));
  return {
    id: run.id,
    workflowId: run.workflowId,
    workflowVersion: run.workflowVersion.version,
    status: run.status as RunStatus,
    trigger: run.trigger,
    environment: run.environment,
    region: run.region,
    dataPlaneId: run.dataPlaneId,
    createdAt: run.createdAt.toISOString(),
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
    cancelRequestedAt: iso(run.cancelRequestedAt),
    inputBytes: run.inputBytes,
    outputBytes: run.outputBytes,
    error: run.errorClass ? { class: run.errorClass, nodeId: run.errorNodeId } : null,
    parked: run.parked ?? 0,
    nodes: order.map((id) => {
      const n = byId.get(id);
      return {
        id,
        status: (n?.status ?? 'pending') as NodeStatus,
        attempts: n?.attempts ?? 0,
        errorClass: n?.errorClass ?? null,
        startedAt: iso(n?.startedAt ?? null),
        finishedAt: iso(n?.finishedAt ?? null),
      };
    }),
    links: {
      self: `/api/v1/runs/${run.id}`,
      workflow: `/api/v1/workflows/${run.workflowId}`,
      ...(data ? { data: data.href, dataExpiresAt: data.expiresAt.toISOString() } : {}),
    },
  };
}
