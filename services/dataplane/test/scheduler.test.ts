import { createTestDatabase, type TestDatabase } from '@orvanta/devstack/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../src/db.ts';
import { fireDueSchedules, nextTick, SKIP_GRACE_MS } from '../src/engine/scheduler.ts';

/** Schedules against a real data-plane database, with two schedulers racing. */
let database: TestDatabase;
let a: Db;
let b: Db;
let n = 0;

beforeAll(async () => {
  database = await createTestDatabase('dataplane');
  a = createDb(database.url, { max: database.poolMax ?? 4 });
  b = createDb(database.url, { max: database.poolMax ?? 4 });
});
afterAll(async () => {
  await a?.$disconnect();
  await b?.$disconnect();
  await database?.drop();
});

async function schedule(cron: string, missed: 'skip' | 'catch_up', nextAt: Date) {
  const workflowId = `wf_${n++}`;
  const versionId = `wfv_${workflowId}`;
  const document = { name: workflowId, nodes: [{ id: 'a', type: 'transform', expression: '$' }], edges: [], triggers: { schedule: { cron, timezone: 'UTC', missed, input: { hello: 'world' } } } };
  await a.workflowVersion.create({ data: { id: versionId, tenantId: 'ten_1', workflowId, version: 1, document } });
  await a.schedule.create({ data: { workflowId, tenantId: 'ten_1', workflowVersionId: versionId, cron, timezone: 'UTC', missed, nextAt } });
  return workflowId;
}

describe('schedules', () => {
  it('fire each tick once, however many schedulers race for it', async () => {
    const now = new Date();
    const workflowId = await schedule('* * * * * *', 'skip', new Date(now.getTime() - 500));
    const results = await Promise.all([fireDueSchedules(a, now), fireDueSchedules(b, now), fireDueSchedules(a, now), fireDueSchedules(b, now)]);
    expect(results.flat().length).toBe(1);
    const runs = await a.run.findMany({ where: { workflowId } });
    expect(runs).toHaveLength(1);
    expect(runs[0]!.input).toMatchObject({ input: { hello: 'world' } });
    const next = await a.schedule.findUniqueOrThrow({ where: { workflowId } });
    expect(next.nextAt.getTime()).toBeGreaterThan(now.getTime());
    // Each fired run tells the control plane about itself.
    expect(await a.outboxEvent.count({ where: { type: 'run.created' } })).toBeGreaterThanOrEqual(1);
  });

  it('catch up every missed tick, or skip the ones older than the grace period', async () => {
    const now = new Date('2026-11-23T12:00:00Z');
    const caught = await schedule('*/10 * * * *', 'catch_up', new Date('2026-11-23T11:00:00Z'));
    const skipped = await schedule('*/10 * * * *', 'skip', new Date('2026-11-23T11:00:00Z'));
    await fireDueSchedules(a, now);
    // 11:00, 11:10 … 12:00: seven ticks caught up; skip fires only the 12:00 tick (within the grace).
    expect(await a.run.count({ where: { workflowId: caught } })).toBe(7);
    expect(await a.run.count({ where: { workflowId: skipped } })).toBe(1);
    const stale = await schedule('*/10 * * * *', 'skip', new Date('2026-11-23T11:00:00Z'));
    await fireDueSchedules(a, new Date(now.getTime() + SKIP_GRACE_MS + 1_000));
    expect(await a.run.count({ where: { workflowId: stale } })).toBe(0);
  });

  it('reads cron in the schedule’s time zone', () => {
    const at = nextTick({ cron: '0 9 * * *', timezone: 'America/New_York' }, new Date('2026-06-01T00:00:00Z'));
    expect(at.toISOString()).toBe('2026-06-01T13:00:00.000Z');
  });
});
