import { createTestDatabase, type TestDatabase } from '@orvanta/devstack/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDb, type Db, type Sql } from '../src/db.ts';
import { arriveAtJoin, claimUngated, readMessage, recordLast, recordSent, runsStuckAtJoins, upstreamOutputs } from '../src/engine/hot-path.ts';
import { settleStuckRun } from '../src/engine/process-message.ts';

/**
 * The engine's hot path (node-postgres statements) against a real data-plane database: each
 * statement does all of its work or none, two deliveries of one message record it once, and
 * timestamps are UTC whatever the session's time zone.
 */
let database: TestDatabase;
let db: Db;
let sql: Sql;
let n = 0;

beforeAll(async () => {
  database = await createTestDatabase('dataplane');
  ({ db, sql } = connectDb(database.url, { max: database.poolMax ?? 4 }));
});
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

/** A queued run with one pending message at node `a`. */
async function seed(status = 'queued') {
  const runId = `run_${++n}`;
  const messageId = `msg_${n}`;
  await db.run.create({ data: { id: runId, tenantId: 'ten_1', workflowId: 'wf_1', workflowVersionId: 'wfv_1', status, input: {} } });
  await db.message.create({ data: { id: messageId, runId, tenantId: 'ten_1', nodeId: 'a', payload: { n: 1 }, status: 'pending' } });
  return { runId, messageId, run: { id: runId, tenantId: 'ten_1', status } };
}

const events = async (runId: string) =>
  (await db.outboxEvent.findMany({ orderBy: { seq: 'asc' } })).filter((e) => (e.payload as { runId?: string }).runId === runId).map((e) => [e.type, (e.payload as { status?: string }).status]);

describe('the hot path', () => {
  it("claims a run's first message: the run starts, and run.started comes before the node's running event", async () => {
    const { runId, messageId, run } = await seed();
    expect(await claimUngated(sql, run, 'a', messageId, 1)).toBe(true);
    const stored = await db.run.findUniqueOrThrow({ where: { id: runId } });
    expect(stored.status).toBe('running');
    expect((await db.message.findUniqueOrThrow({ where: { id: messageId } })).attempts).toBe(1);
    expect(await events(runId)).toEqual([
      ['run.started', undefined],
      ['node.status', 'running'],
    ]);
  });

  it("says running once per node for a split's items, and again for a retry or a Trash approval", async () => {
    const { runId, messageId: first, run } = await seed('running');
    const second = `${first}_b`;
    await db.message.create({ data: { id: second, runId, tenantId: 'ten_1', nodeId: 'a', payload: 2, status: 'pending' } });
    expect(await claimUngated(sql, run, 'a', first, 1, true)).toBe(true);
    expect(await claimUngated(sql, run, 'a', second, 1, true)).toBe(true);
    expect(await events(runId)).toEqual([['node.status', 'running']]);
    expect(await claimUngated(sql, run, 'a', second, 2, true)).toBe(true);
    // Approved from the Trash: attempt 1 again, but it failed before.
    await db.message.update({ where: { id: first }, data: { status: 'pending', attempts: 0, history: [{ attempt: 1, error: { class: 'ScriptError' } }] } });
    expect(await claimUngated(sql, run, 'a', first, 1, true)).toBe(true);
    expect(await events(runId)).toEqual([
      ['node.status', 'running'],
      ['node.status', 'running'],
      ['node.status', 'running'],
    ]);
  });

  it('does not claim a cancelled message, and writes nothing', async () => {
    const { runId, messageId, run } = await seed();
    await db.message.update({ where: { id: messageId }, data: { status: 'cancelled' } });
    expect(await claimUngated(sql, run, 'a', messageId, 1)).toBe(false);
    expect((await db.run.findUniqueOrThrow({ where: { id: runId } })).status).toBe('queued');
    expect(await events(runId)).toEqual([]);
  });

  it('records a success once when two deliveries race: one result, one set of successors, one event', async () => {
    const { runId, messageId, run } = await seed('running');
    await claimUngated(sql, run, 'a', messageId, 1);
    const record = (suffix: string) =>
      recordSent(sql, {
        run,
        nodeId: 'a',
        messageId,
        attempt: 1,
        startedAt: new Date(),
        finishedAt: new Date(),
        output: { n: 2 },
        logs: [],
        sent: [
          { id: `msg_b_${suffix}`, nodeId: 'b', payload: { n: 2 } },
          { id: `msg_c_${suffix}`, nodeId: 'c', payload: null, branch: [{ split: 'a', group: messageId, index: 0, count: 1 }] },
        ],
      });
    const results = await Promise.all([record('x'), record('y'), record('z')]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await db.nodeResult.count({ where: { runId } })).toBe(1);
    const sent = await db.message.findMany({ where: { runId, parentId: messageId }, orderBy: { nodeId: 'asc' } });
    expect(sent.map((m) => [m.nodeId, m.status, m.payload, m.branch])).toEqual([
      ['b', 'pending', { n: 2 }, null],
      ['c', 'pending', null, [{ split: 'a', group: messageId, index: 0, count: 1 }]],
    ]);
    expect((await events(runId)).filter(([, status]) => status === 'succeeded')).toHaveLength(1);
    expect(await upstreamOutputs(sql, runId, ['a', 'z'])).toEqual({ a: { n: 2 } });
  });

  it('records nothing for a message cancelled while its node ran', async () => {
    const { runId, messageId, run } = await seed('running');
    await claimUngated(sql, run, 'a', messageId, 1);
    await db.message.update({ where: { id: messageId }, data: { status: 'cancelled' } });
    const recorded = await recordSent(sql, { run, nodeId: 'a', messageId, attempt: 1, startedAt: new Date(), finishedAt: new Date(), output: 1, logs: [], sent: [{ id: `msg_after_${n}`, nodeId: 'b', payload: 1 }] });
    expect(recorded).toBe(false);
    expect(await db.nodeResult.count({ where: { runId } })).toBe(0);
    expect(await db.message.count({ where: { runId } })).toBe(1);
  });

  it('writes and reads timestamps as UTC whatever the session time zone is', async () => {
    const { messageId, run } = await seed('running');
    const availableAt = new Date('2030-01-02T03:04:05.678Z');
    await db.message.update({ where: { id: messageId }, data: { availableAt } });
    // Every connection of this pool talks in a zone far from UTC.
    const { sql: elsewhere, db: other } = connectDb(`${database.url}${database.url.includes('?') ? '&' : '?'}options=-c%20TimeZone%3DPacific%2FKiritimati`, { max: 1 });
    try {
      expect((await elsewhere.query<{ tz: string }>("SELECT current_setting('TimeZone') AS tz")).rows[0]!.tz).toBe('Pacific/Kiritimati');
      expect((await readMessage(elsewhere, messageId))!.availableAt?.toISOString()).toBe(availableAt.toISOString());
      const startedAt = new Date('2030-05-06T07:08:09.010Z');
      const finishedAt = new Date('2030-05-06T07:08:10.020Z');
      await recordSent(elsewhere, { run, nodeId: 'a', messageId, attempt: 1, startedAt, finishedAt, output: null, logs: [], sent: [{ id: `msg_tz_${n}`, nodeId: 'b', payload: 1 }] });
      // Read back through Prisma, which writes and reads UTC.
      const result = await db.nodeResult.findUniqueOrThrow({ where: { messageId } });
      expect([result.startedAt.toISOString(), result.finishedAt.toISOString()]).toEqual([startedAt.toISOString(), finishedAt.toISOString()]);
      expect((await db.message.findUniqueOrThrow({ where: { id: `msg_tz_${n}` } })).createdAt.toISOString()).toBe(finishedAt.toISOString());
    } finally {
      await other.$disconnect();
    }
  });

  it('a join arrival waits while an item of its group is in flight, and checks once none is (again on redelivery)', async () => {
    const { runId, messageId: itemA, run } = await seed('running');
    const frame = (index: number) => [{ split: 'split', group: 'grp', index, count: 2 }];
    await db.message.update({ where: { id: itemA }, data: { nodeId: 'step', branch: frame(0) } });
    const arrive = (id: string) => arriveAtJoin(sql, runId, id, 'join|grp', ['join', 'step', 'split']);
    const joinMessage = async (id: string, index: number) => db.message.create({ data: { id, runId, tenantId: 'ten_1', nodeId: 'join', payload: index, status: 'pending', branch: frame(index) } });

    await joinMessage(`${runId}_j1`, 1);
    expect(await arrive(`${runId}_j1`)).toBe('waiting');
    expect((await db.message.findUniqueOrThrow({ where: { id: `${runId}_j1` } })).joinKey).toBe('join|grp');

    // Item A records and sends its message to the join: the last arrival.
    await recordSent(sql, { run, nodeId: 'step', messageId: itemA, attempt: 1, startedAt: new Date(), finishedAt: new Date(), output: 0, logs: [], sent: [{ id: `${runId}_j0`, nodeId: 'join', payload: 0, branch: frame(0) }] });
    expect(await arrive(`${runId}_j0`)).toBe('check');
    // Delivered again after a crash that followed its commit: it checks again, or the join would never fire.
    expect(await arrive(`${runId}_j0`)).toBe('check');

    // Another group's item in flight does not hold this group.
    await db.message.create({ data: { id: `${runId}_other`, runId, tenantId: 'ten_1', nodeId: 'step', payload: 0, status: 'pending', branch: [{ split: 'split', group: 'grp2', index: 0, count: 1 }] } });
    expect(await arrive(`${runId}_j0`)).toBe('check');

    // Once the join fired (its messages done) or the run ended, an arrival has nothing to do.
    await db.message.updateMany({ where: { runId, nodeId: 'join' }, data: { status: 'done' } });
    expect(await arrive(`${runId}_j0`)).toBe('settled');
    await joinMessage(`${runId}_late`, 1);
    await db.run.update({ where: { id: runId }, data: { status: 'cancelled' } });
    expect(await arrive(`${runId}_late`)).toBe('settled');
  });

  it('finds a run whose last join arrival was not followed up (a crash), and settling it fires the join once', async () => {
    const document = { name: 'each', nodes: [{ id: 'split', type: 'split', items: 'items' }, { id: 'step', type: 'transform', expression: '$' }, { id: 'join', type: 'join' }], edges: [{ from: 'split', to: 'step' }, { from: 'step', to: 'join' }] };
    const versionId = `wfv_stuck_${++n}`;
    await db.workflowVersion.create({ data: { id: versionId, tenantId: 'ten_1', workflowId: 'wf_stuck', version: n, document } });
    const runId = `run_stuck_${n}`;
    await db.run.create({ data: { id: runId, tenantId: 'ten_1', workflowId: 'wf_stuck', workflowVersionId: versionId, status: 'running', input: { items: [1, 2] } } });
    const message = (id: string, nodeId: string, status: string, payload: unknown, extra: object = {}) => db.message.create({ data: { id: `${runId}_${id}`, runId, tenantId: 'ten_1', nodeId, payload: payload as never, status, ...extra } });
    await message('split', 'split', 'done', { items: [1, 2] });
    const frame = (index: number) => [{ split: 'split', group: `${runId}_split`, index, count: 2 }];
    for (const index of [1, 0]) {
      await message(`step${index}`, 'step', 'done', index + 1, { branch: frame(index) });
      await message(`join${index}`, 'join', 'waiting', index + 1, { branch: frame(index), joinKey: `join|${runId}_split` });
    }
    expect(await runsStuckAtJoins(sql, 60_000)).not.toContain(runId); // not old enough yet
    expect(await runsStuckAtJoins(sql, -60_000)).toContain(runId);
    // A subworkflow node waiting on its child run is still in flight: not stuck.
    await message('sub', 'step', 'waiting', null, { joinKey: 'sub|run_child' });
    expect(await runsStuckAtJoins(sql, -60_000)).not.toContain(runId);
    await db.message.delete({ where: { id: `${runId}_sub` } });

    expect(await settleStuckRun(db, runId)).toEqual([]);
    const join = await db.nodeResult.findMany({ where: { runId, nodeId: 'join' } });
    expect(join.map((r) => r.output)).toEqual([[1, 2]]); // in item order
    expect((await db.run.findUniqueOrThrow({ where: { id: runId } })).status).toBe('succeeded');
    expect(await runsStuckAtJoins(sql, -60_000)).not.toContain(runId);
    // Settling again changes nothing.
    await settleStuckRun(db, runId);
    expect(await db.nodeResult.count({ where: { runId, nodeId: 'join' } })).toBe(1);
  });

  describe('recording a sink', () => {
    const last = (run: { id: string; tenantId: string }, messageId: string, nodeId: string, output: unknown) =>
      recordLast(sql, { run, nodeId, messageId, attempt: 1, startedAt: new Date(), finishedAt: new Date(), output, logs: [], sinks: ['a', 'b'] });

    it('finishes the run with its output once the last one is recorded, and a second delivery records nothing', async () => {
      const { runId, messageId, run } = await seed('running');
      const other = `${messageId}_b`;
      await db.message.create({ data: { id: other, runId, tenantId: 'ten_1', nodeId: 'b', payload: 0, status: 'running' } });
      expect(await last(run, messageId, 'a', { a: 1 })).toBe('recorded'); // b is still running
      expect((await db.run.findUniqueOrThrow({ where: { id: runId } })).status).toBe('running');
      const both = await Promise.all([last(run, other, 'b', 'B'), last(run, other, 'b', 'B')]);
      expect(both.sort()).toEqual(['finished', 'settled']);
      const finished = await db.run.findUniqueOrThrow({ where: { id: runId } });
      expect([finished.status, finished.output]).toEqual(['succeeded', { a: { a: 1 }, b: 'B' }]);
      expect(finished.finishedAt).not.toBeNull();
      expect((await events(runId)).filter(([type]) => type === 'run.finished')).toHaveLength(1);
      expect(await db.nodeResult.count({ where: { runId } })).toBe(2);
    });

    it('leaves a run with something parked, or a parent waiting on it, to the general path, having written nothing', async () => {
      for (const blocker of ['parked', 'parent'] as const) {
        const { runId, messageId, run } = await seed('running');
        if (blocker === 'parked') await db.message.create({ data: { id: `${messageId}_p`, runId, tenantId: 'ten_1', nodeId: 'b', payload: 0, status: 'parked' } });
        else {
          const parent = await seed('running');
          await db.message.update({ where: { id: parent.messageId }, data: { status: 'waiting', joinKey: `sub|${runId}` } });
        }
        await db.message.update({ where: { id: messageId }, data: { status: 'running' } });
        expect(await last(run, messageId, 'a', 1)).toBe('general');
        expect(await db.nodeResult.count({ where: { runId } })).toBe(0);
        expect((await db.message.findUniqueOrThrow({ where: { id: messageId } })).status).toBe('running');
        expect(await events(runId)).toEqual([]);
      }
    });
  });
});
