import { Prisma, type Tx } from '../db.ts';
import { emitEvent } from './outbox.ts';
import { loadPlan, lockRun, resumeParent, settle } from './process-message.ts';
import type { NodeJobData } from './queue.ts';

export type TrashDecision = { decision: 'approve'; payload?: { value: unknown } } | { decision: 'reject' };

const json = (value: unknown) => (value ?? null) as Prisma.InputJsonValue;

/**
 * Applies an operator's decision on a parked message (a Trash item). Deciding twice, or on
 * an item already discarded with its cancelled run, changes nothing.
 *
 * - approve: the message goes back to its node — with the edited payload if there is one —
 *   and a fresh retry budget (`ctx.attempt` starts at 1 again; its history and idempotency
 *   key stay). A run that had failed on it is reopened and continues from that node; what
 *   already ran is not run again.
 * - reject: the failure stands. The message's result is recorded as failed; it no longer
 *   holds back a join, and the run ends failed. A parent run waiting on this one as a
 *   subworkflow resumes with the failure once no item of the run is left parked.
 */
export async function resolveTrashItem(tx: Tx, tenantId: string, trashItemId: string, decision: TrashDecision): Promise<NodeJobData[]> {
  const found = await tx.trashItem.findFirst({ where: { id: trashItemId, tenantId }, select: { runId: true } });
  if (!found) return [];
  await lockRun(tx, found.runId);
  const item = await tx.trashItem.findUniqueOrThrow({ where: { id: trashItemId } });
  if (item.status !== 'parked') return [];
  const message = await tx.message.findUniqueOrThrow({ where: { id: item.messageId }, include: { run: true } });
  const { run } = message;
  const now = new Date();
  const base = { runId: run.id, tenantId, at: now.toISOString() };
  if (message.status !== 'parked' || run.status === 'cancelled') {
    await tx.trashItem.update({ where: { id: item.id }, data: { status: 'discarded', decidedAt: now } });
    await emitEvent(tx, { type: 'trash.updated', payload: { ...base, trashItemId: item.id, status: 'discarded' } });
    return [];
  }

  if (decision.decision === 'approve') {
    await tx.trashItem.update({ where: { id: item.id }, data: { status: 'approved', decidedAt: now } });
    await tx.message.update({
      where: { id: message.id },
      data: { status: 'pending', attempts: 0, availableAt: null, ...(decision.payload ? { payload: json(decision.payload.value) } : {}) },
    });
    await emitEvent(tx, { type: 'trash.updated', payload: { ...base, trashItemId: item.id, status: 'approved' } });
    if (run.status === 'failed') {
      const reopened = await tx.run.update({ where: { id: run.id }, data: { status: 'running', finishedAt: null, error: Prisma.DbNull, resumptions: { increment: 1 } } });
      await emitEvent(tx, { type: 'run.resumed', payload: { ...base, nodeId: item.nodeId, resumption: reopened.resumptions } });
    }
    return [{ messageId: message.id, runId: run.id, tenantId }];
  }

  // Rejected: recorded as the node's failed result, once.
  const history = (message.history as { logs?: unknown[]; startedAt?: string }[] | null) ?? [];
  const last = history.at(-1);
  await tx.nodeResult.create({
    data: {
      messageId: message.id,
      runId: run.id,
      tenantId,
      nodeId: item.nodeId,
      status: 'failed',
      error: json(item.error),
      logs: json(last?.logs ?? []),
      attempts: item.attempts,
      startedAt: last?.startedAt ? new Date(last.startedAt) : item.createdAt,
      finishedAt: now,
    },
  });
  await tx.message.update({ where: { id: message.id }, data: { status: 'failed' } });
  await tx.trashItem.update({ where: { id: item.id }, data: { status: 'rejected', decidedAt: now } });
  await emitEvent(tx, { type: 'trash.updated', payload: { ...base, trashItemId: item.id, status: 'rejected' } });
  if (run.status !== 'failed') return settle(tx, await loadPlan(tx, run.workflowVersionId), run.id);
  // The run had already failed on its Trash items: once the last is decided, its parent hears.
  const stillParked = await tx.message.count({ where: { runId: run.id, status: 'parked' } });
  if (stillParked > 0) return [];
  const error = item.error as { class?: string };
  return resumeParent(tx, run.id, { ok: false, error: { class: 'SubworkflowFailed', message: `the subworkflow run ${run.id} failed at node ${item.nodeId}: ${error.class ?? 'NodeFailed'}` }, logs: [] });
}
