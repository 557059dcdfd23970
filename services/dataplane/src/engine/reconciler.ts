import type { Db, Sql } from '../db.ts';
import type { Logger } from '../log.ts';
import { errorFields } from '../log.ts';
import { runsStuckAtJoins } from './hot-path.ts';
import { settleStuckRun } from './process-message.ts';
import type { NodeQueue } from './queue.ts';

/**
 * Redis is transport, Postgres is truth. Every pending or running message that has sat
 * for a while without a job in Redis (lost after a crash between commit and enqueue, or
 * a Redis flush or restart) is enqueued again. Re-adding is harmless: job ids are
 * message ids, and recording a result is guarded by the message's status.
 */
export async function reconcileOnce(db: Db, queue: NodeQueue, options: { olderThanMs: number; batch?: number }): Promise<number> {
  const stale = await db.message.findMany({
    where: { status: { in: ['pending', 'running'] }, updatedAt: { lt: new Date(Date.now() - options.olderThanMs) } },
    orderBy: { updatedAt: 'asc' },
    take: options.batch ?? 500,
    select: { id: true, runId: true, tenantId: true, availableAt: true },
  });
  const missing = [];
  for (const m of stale) {
    const job = await queue.queue.getJob(m.id);
    const state = job ? await job.getState() : 'missing';
    // A job still delayed (backoff, delay node) is where it should be.
    if (state === 'missing' || state === 'unknown' || state === 'completed' || state === 'failed') {
      if (job) await job.remove().catch(() => undefined);
      missing.push({ messageId: m.id, runId: m.runId, tenantId: m.tenantId, delayMs: m.availableAt ? m.availableAt.getTime() - Date.now() : 0 });
    }
  }
  await queue.enqueue(missing);
  return missing.length;
}

/**
 * A run whose last arrival at a join was lost between its commit and settling its run (a
 * crash) would wait for ever: each such run is settled here (the join fires, or the run ends).
 */
export async function settleStuckRuns(db: Db, sql: Sql, queue: NodeQueue, options: { olderThanMs: number }): Promise<number> {
  const stuck = await runsStuckAtJoins(sql, options.olderThanMs);
  for (const runId of stuck) await queue.enqueue(await settleStuckRun(db, runId));
  return stuck.length;
}

export function startReconciler(db: Db, sql: Sql, queue: NodeQueue, log: Logger, options = { intervalMs: 5_000, olderThanMs: 10_000 }) {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const n = await reconcileOnce(db, queue, options);
      if (n > 0) log.warn('re-enqueued messages missing from the queue', { count: n });
      const settled = await settleStuckRuns(db, sql, queue, options);
      if (settled > 0) log.warn('settled runs whose last arrival at a join was not followed up', { count: settled });
    } catch (err) {
      log.warn('reconciler pass failed; will retry', errorFields(err));
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), options.intervalMs);
  void tick();
  return { stop: () => clearInterval(timer) };
}
