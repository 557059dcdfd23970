import type { Tx } from '../db.ts';
import { emitEvent } from './outbox.ts';

const TERMINAL = ['succeeded', 'failed', 'cancelled'];

/**
 * Cancels a run: pending and running messages are settled as cancelled, so no further
 * node starts and a node still executing has its result discarded; its parked Trash items
 * are discarded.
 */
export async function cancelRun(tx: Tx, runId: string, tenantId: string): Promise<void> {
  await tx.$queryRaw`SELECT id FROM "Run" WHERE id = ${runId} FOR UPDATE`;
  const run = await tx.run.findFirst({ where: { id: runId, tenantId } });
  if (!run || TERMINAL.includes(run.status)) return;
  const now = new Date();
  await tx.run.update({ where: { id: runId }, data: { status: 'cancelled', cancelRequestedAt: now, finishedAt: now } });
  await tx.message.updateMany({ where: { runId, status: { in: ['pending', 'running', 'waiting', 'parked'] } }, data: { status: 'cancelled' } });
  // Live log lines of a node cut short (a crashed attempt) have no result to move into.
  await tx.nodeLog.deleteMany({ where: { runId } });
  // Its Trash items go with it: there is no run left to resume.
  const parked = await tx.trashItem.findMany({ where: { runId, status: 'parked' }, select: { id: true } });
  await tx.trashItem.updateMany({ where: { runId, status: 'parked' }, data: { status: 'discarded', decidedAt: now } });
  for (const item of parked) await emitEvent(tx, { type: 'trash.updated', payload: { runId, tenantId, at: now.toISOString(), trashItemId: item.id, status: 'discarded' } });
  await emitEvent(tx, { type: 'run.finished', payload: { runId, tenantId, at: now.toISOString(), status: 'cancelled', resumption: run.resumptions } });
}
