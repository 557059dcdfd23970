import { TERMINAL_RUN_STATUSES, type EventEnvelope, type NodeStatus, type RunStatus } from '@orvanta/protocol';
import { recordAudit } from '../audit.ts';
import type { Tx } from '../db/client.ts';
import type { DataPlane } from '../db/generated/client.ts';

const NODE_RANK: Record<NodeStatus, number> = { pending: 0, running: 1, succeeded: 2, failed: 2, cancelled: 2 };
const isTerminal = (status: string) => (TERMINAL_RUN_STATUSES as readonly string[]).includes(status);

/**
 * Applies one data-plane event to run metadata. Events can arrive late or twice, so every
 * change only moves forward: a finished run becomes running again only through a
 * `run.resumed` of a newer resumption (a Trash item approved), and a `run.finished` from
 * before that resumption is ignored.
 */
export async function applyRunEvent(tx: Tx, dataPlane: DataPlane, event: EventEnvelope): Promise<void> {
  const { runId, tenantId } = event.payload;
  if (event.type === 'run.created') return recordCreatedRun(tx, dataPlane, event.payload);
  // Scoped to this data plane: a data plane can only report on runs routed to it.
  const run = await tx.run.findFirst({ where: { id: runId, tenantId, dataPlaneId: dataPlane.id } });
  if (!run) return;
  const at = new Date(event.payload.at);

  switch (event.type) {
    case 'trash.parked': {
      const p = event.payload;
      await tx.trashItem.upsert({
        where: { id: p.trashItemId },
        create: { id: p.trashItemId, tenantId, dataPlaneId: dataPlane.id, runId, workflowId: run.workflowId, nodeId: p.nodeId, errorClass: p.errorClass, attempts: p.attempts, status: 'parked', createdAt: at },
        update: {},
      });
      return;
    }
    case 'trash.updated': {
      const item = await tx.trashItem.findFirst({ where: { id: event.payload.trashItemId, runId, tenantId } });
      if (!item) return;
      // The data plane's word is final: it may discard an item approved here (its run was cancelled).
      await tx.trashItem.update({ where: { id: item.id }, data: { status: event.payload.status, appliedAt: at } });
      if (event.payload.status === 'approved') {
        // The node runs again: its failure is no longer its status.
        await tx.runNode.updateMany({ where: { runId, nodeId: item.nodeId, status: 'failed' }, data: { status: 'pending', finishedAt: null, errorClass: null } });
      }
      return;
    }
    case 'run.resumed': {
      if (event.payload.resumption <= run.resumptions) return;
      await tx.run.update({ where: { id: run.id }, data: { status: 'running', finishedAt: null, errorClass: null, errorNodeId: null, outputBytes: null, resumptions: event.payload.resumption } });
      // Nodes settled as cancelled when it failed get their turn now.
      await tx.runNode.updateMany({ where: { runId, status: 'cancelled' }, data: { status: 'pending', finishedAt: null } });
      return;
    }
    case 'run.accepted':
      await tx.run.update({ where: { id: run.id }, data: { inputBytes: event.payload.inputBytes } });
      return;
    case 'run.started':
      if (run.status === 'queued') {
        await tx.run.update({ where: { id: run.id }, data: { status: 'running', startedAt: run.startedAt ?? at } });
      }
      return;
    case 'node.status': {
      const { nodeId, status, attempt, errorClass } = event.payload;
      const current = await tx.runNode.findUnique({ where: { runId_nodeId: { runId, nodeId } } });
      if (current && NODE_RANK[current.status as NodeStatus] > NODE_RANK[status]) return;
      const times = status === 'running' ? { startedAt: current?.startedAt ?? at } : NODE_RANK[status] === 2 ? { finishedAt: at } : {};
      const attempts = Math.max(current?.attempts ?? 0, attempt ?? 0);
      await tx.runNode.upsert({
        where: { runId_nodeId: { runId, nodeId } },
        create: { runId, nodeId, status, attempts, errorClass: errorClass ?? null, ...times },
        update: { status, attempts, errorClass: errorClass ?? null, ...times },
      });
      if (status === 'running' && run.status === 'queued') {
        await tx.run.update({ where: { id: run.id }, data: { status: 'running', startedAt: run.startedAt ?? at } });
      }
      return;
    }
    case 'run.finished': {
      if (isTerminal(run.status) || (event.payload.resumption ?? 0) < run.resumptions) return;
      const { status, errorClass, errorNodeId, outputBytes } = event.payload;
      await tx.run.update({
        where: { id: run.id },
        data: {
          status: status satisfies RunStatus,
          finishedAt: at,
          startedAt: run.startedAt ?? at,
          errorClass: errorClass ?? null,
          errorNodeId: errorNodeId ?? null,
          outputBytes: outputBytes ?? null,
        },
      });
      if (status !== 'succeeded') {
        // Nodes that never got their turn are settled with the run.
        await tx.runNode.updateMany({ where: { runId, status: { in: ['pending', 'running'] } }, data: { status: 'cancelled', finishedAt: at } });
      }
      return;
    }
  }
}

/**
 * A run the data plane started itself (a webhook, a schedule, a subworkflow): recorded once,
 * and only for a tenant this data plane serves and a workflow version of that tenant's.
 */
async function recordCreatedRun(tx: Tx, dataPlane: DataPlane, p: Extract<EventEnvelope, { type: 'run.created' }>['payload']): Promise<void> {
  if (await tx.run.findUnique({ where: { id: p.runId }, select: { id: true } })) return;
  const tenant = await tx.tenant.findUnique({ where: { id: p.tenantId } });
  // A data plane reports runs only for tenants it works for: its own tenant, or — for a shared
  // one — tenants at home there or with a deployment pinned to it.
  const serves =
    tenant &&
    (dataPlane.tenantId
      ? dataPlane.tenantId === tenant.id
      : tenant.homeDataPlaneId === dataPlane.id || (await tx.deployment.count({ where: { tenantId: tenant.id, dataPlaneId: dataPlane.id } })) > 0);
  const version = serves ? await tx.workflowVersion.findFirst({ where: { id: p.workflowVersionId, workflowId: p.workflowId, tenantId: p.tenantId } }) : null;
  if (!version) return;
  const nodeIds = (version.document as { nodes: { id: string }[] }).nodes.map((n) => n.id);
  await tx.run.create({
    data: {
      id: p.runId,
      tenantId: p.tenantId,
      workflowId: p.workflowId,
      workflowVersionId: version.id,
      dataPlaneId: dataPlane.id,
      region: dataPlane.region,
      status: 'queued',
      trigger: p.trigger,
      inputBytes: p.inputBytes,
      createdBy: `data_plane:${dataPlane.id}`,
      createdAt: new Date(p.at),
      nodes: { create: nodeIds.map((nodeId) => ({ nodeId, status: 'pending' })) },
    },
  });
  await recordAudit(tx, {
    tenantId: p.tenantId,
    actor: { type: 'data_plane', id: dataPlane.id },
    action: 'run.started',
    target: { type: 'run', id: p.runId },
    after: { workflowId: p.workflowId, version: version.version, trigger: p.trigger },
  });
}
