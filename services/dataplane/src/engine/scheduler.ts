import { createHash } from 'node:crypto';
import type { ScheduleTriggerSpec } from '@orvanta/spec';
import { CronExpressionParser } from 'cron-parser';
import type { Db, Tx } from '../db.ts';
import type { Logger } from '../log.ts';
import { errorFields } from '../log.ts';
import { emitEvent } from './outbox.ts';
import type { NodeJobData, NodeQueue } from './queue.ts';
import { createRun } from './start-run.ts';

/**
 * Schedules, evaluated in the data plane. Due schedules are claimed with
 * `FOR UPDATE SKIP LOCKED`, so any number of scheduler replicas share the work and each
 * tick fires once; a tick's run id is derived from the workflow and the tick as well, so
 * even a replayed transaction cannot start it twice.
 */

/** With `missed: skip`, a tick this late still fires; older ones are skipped. */
export const SKIP_GRACE_MS = 60_000;
const MAX_CATCH_UP = 1_000;

export function nextTick(spec: { cron: string; timezone: string }, after: Date): Date {
  return CronExpressionParser.parse(spec.cron, { currentDate: after, tz: spec.timezone }).next().toDate();
}

/** Keeps the schedule table in step with a registered version's document. */
export async function syncSchedule(tx: Tx, r: { tenantId: string; workflowId: string; workflowVersionId: string; schedule?: ScheduleTriggerSpec }): Promise<void> {
  if (!r.schedule) {
    await tx.schedule.deleteMany({ where: { workflowId: r.workflowId } });
    return;
  }
  const { cron, timezone, missed } = r.schedule;
  const current = await tx.schedule.findUnique({ where: { workflowId: r.workflowId } });
  // The same cron keeps its place in time; a new one starts from now.
  const nextAt = current && current.cron === cron && current.timezone === timezone ? current.nextAt : nextTick({ cron, timezone }, new Date());
  await tx.schedule.upsert({
    where: { workflowId: r.workflowId },
    create: { workflowId: r.workflowId, tenantId: r.tenantId, workflowVersionId: r.workflowVersionId, cron, timezone, missed, nextAt },
    update: { workflowVersionId: r.workflowVersionId, cron, timezone, missed, nextAt },
  });
}

const tickRunId = (workflowId: string, tick: Date) => `run_s${createHash('sha256').update(`${workflowId}@${tick.toISOString()}`).digest('hex').slice(0, 25)}`;

/** Fires every due tick of up to `batch` schedules; returns the jobs to enqueue. */
export async function fireDueSchedules(db: Db, now = new Date(), batch = 50): Promise<NodeJobData[]> {
  return db.$transaction(async (tx) => {
    const due = await tx.$queryRaw<{ workflowId: string }[]>`
      SELECT "workflowId" FROM "Schedule" WHERE "nextAt" <= ${now} ORDER BY "nextAt" LIMIT ${batch} FOR UPDATE SKIP LOCKED`;
    const jobs: NodeJobData[] = [];
    for (const { workflowId } of due) {
      const schedule = await tx.schedule.findUniqueOrThrow({ where: { workflowId } });
      const version = await tx.workflowVersion.findUniqueOrThrow({ where: { id: schedule.workflowVersionId } });
      const input = (version.document as { triggers?: { schedule?: ScheduleTriggerSpec } }).triggers?.schedule?.input;
      const ticks: Date[] = [];
      for (let tick = schedule.nextAt; tick <= now && ticks.length < MAX_CATCH_UP; tick = nextTick(schedule, tick)) ticks.push(tick);
      const firing = schedule.missed === 'catch_up' ? ticks : ticks.filter((t) => now.getTime() - t.getTime() <= SKIP_GRACE_MS).slice(-1);
      for (const tick of firing) {
        const runId = tickRunId(workflowId, tick);
        if (await tx.run.findUnique({ where: { id: runId }, select: { id: true } })) continue;
        const runInput = { scheduledAt: tick.toISOString(), input: input ?? null };
        await emitEvent(tx, {
          type: 'run.created',
          payload: { runId, tenantId: schedule.tenantId, at: new Date().toISOString(), workflowId, workflowVersionId: version.id, trigger: 'schedule', inputBytes: Buffer.byteLength(JSON.stringify(runInput)) },
        });
        jobs.push(...(await createRun(tx, { runId, tenantId: schedule.tenantId, workflowId, workflowVersionId: version.id, input: runInput })));
      }
      await tx.schedule.update({ where: { workflowId }, data: { nextAt: nextTick(schedule, now) } });
    }
    return jobs;
  });
}

export function startScheduler(db: Db, queue: NodeQueue, log: Logger, intervalMs = 1_000) {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const jobs = await fireDueSchedules(db);
      await queue.enqueue(jobs).catch((err) => log.warn('enqueue failed; reconciler will retry', errorFields(err)));
    } catch (err) {
      log.warn('scheduler pass failed; will retry', errorFields(err));
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  return { stop: () => clearInterval(timer) };
}
