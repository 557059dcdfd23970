import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.ts';
import { createTestDataPlane, type TestDataPlane } from '../support/data-plane.ts';
import { apiClient, eventually } from '../support/http.ts';

/**
 * Fair sharing between tenants of one data plane, against the real processes. Tenant A
 * floods the data plane with over 50,000 messages: 400 runs started through the API (within
 * its API rate limit), 10 of them splitting into 10 chunks of 500 items each through a
 * transform, and 390 single-node ones. Tenant B starts single runs through the API as a
 * user would. What is
 * checked is order, never time: B's command overtakes A's command backlog, and each of B's
 * runs finishes while most of A's flood is still pending, having overtaken A's queued
 * messages rather than waited behind them. Latencies belong to the bench (`npm run bench`,
 * noisy-neighbour phase).
 */

const SPLIT_RUNS = 10;
const CHUNKS = 10;
const ITEMS_PER_CHUNK = 500;
const SMALL_RUNS = 390;
const FLOOD_MESSAGES = SPLIT_RUNS * (1 + CHUNKS * (1 + ITEMS_PER_CHUNK)) + SMALL_RUNS; // 50,500
const QUIET_RUNS = 5;
const TERMINAL = ['succeeded', 'failed', 'cancelled'];

let cp: TestControlPlane;
let dp: TestDataPlane;
let dpDb: pg.Pool;
let a: { tenantId: string; api: ReturnType<typeof apiClient>; workflowId: string; smallWorkflowId: string };
let b: { tenantId: string; api: ReturnType<typeof apiClient>; workflowId: string };

async function createWorkflow(api: ReturnType<typeof apiClient>, document: Record<string, unknown>): Promise<string> {
  const res = await api('POST', '/api/v1/workflows', document);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

async function startRun(api: ReturnType<typeof apiClient>, workflowId: string, input: unknown): Promise<string> {
  const res = await api('POST', `/api/v1/workflows/${workflowId}/runs`, { input });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.id as string;
}

/** The run's status on the data plane (the engine's own record), or undefined before it is stored there. */
async function runStatus(runId: string): Promise<string | undefined> {
  const { rows } = await dpDb.query<{ status: string }>('SELECT status FROM "Run" WHERE id = $1', [runId]);
  return rows[0]?.status;
}

/**
 * A's flood on the data plane: its runs stored there, its messages still pending or running,
 * and those settled (processed or cancelled). What is not settled yet, stored or still to come
 * from a split, is FLOOD_MESSAGES − settled.
 */
async function flood(): Promise<{ runs: number; pending: number; settled: number }> {
  const { rows } = await dpDb.query<{ runs: string; pending: string; settled: string }>(
    `SELECT (SELECT count(*) FROM "Run" WHERE "tenantId" = $1) AS runs,
            count(*) FILTER (WHERE status IN ('pending', 'running')) AS pending,
            count(*) FILTER (WHERE status NOT IN ('pending', 'running')) AS settled
       FROM "Message" WHERE "tenantId" = $1`,
    [a.tenantId],
  );
  return { runs: Number(rows[0]!.runs), pending: Number(rows[0]!.pending), settled: Number(rows[0]!.settled) };
}

/** Polls the data plane's database until the run has finished; returns its status. */
async function finishedOnDataPlane(runId: string): Promise<string> {
  return eventually(`run ${runId} to finish on the data plane`, async () => {
    const status = await runStatus(runId);
    return status && TERMINAL.includes(status) ? status : undefined;
  }, 120_000);
}

beforeAll(async () => {
  cp = await startTestControlPlane();
  const token = await cp.dataPlane('dp_fair');
  const flood = await cp.tenant('fair-flood', 'dp_fair');
  const quiet = await cp.tenant('fair-quiet', 'dp_fair');
  dp = await createTestDataPlane({ controlPlaneUrl: cp.url, enrollmentToken: token, env: { LOG_LEVEL: 'info' } });
  await dp.start();
  dpDb = new pg.Pool({ connectionString: dp.databaseUrl, max: 2 });
  dpDb.on('error', () => undefined);
  const aApi = apiClient(cp.url, flood.apiKey);
  const bApi = apiClient(cp.url, quiet.apiKey);
  a = {
    tenantId: flood.tenantId,
    api: aApi,
    workflowId: await createWorkflow(aApi, {
      name: 'flood',
      // Split twice (small transactions, all splits done early), so 10 API calls become 50,110 messages.
      nodes: [
        { id: 'chunks', type: 'split', items: `[1..${CHUNKS}]` },
        { id: 'items', type: 'split', items: `[1..${ITEMS_PER_CHUNK}]` },
        { id: 'work', type: 'transform', expression: '$ * 2' },
      ],
      edges: [
        { from: 'chunks', to: 'items' },
        { from: 'items', to: 'work' },
      ],
    }),
    smallWorkflowId: await createWorkflow(aApi, { name: 'small', nodes: [{ id: 'only', type: 'transform', expression: '$' }] }),
  };
  b = {
    tenantId: quiet.tenantId,
    api: bApi,
    workflowId: await createWorkflow(bApi, { name: 'quiet', nodes: [{ id: 'only', type: 'script', language: 'javascript', code: 'export default (x) => ({ seen: x })' }] }),
  };
  // Warm: B's workflow stored and its sandbox started on the data plane.
  expect(await finishedOnDataPlane(await startRun(b.api, b.workflowId, { warm: true }))).toBe('succeeded');
}, 120_000);

afterAll(async () => {
  // Whatever is left of the flood goes with the data plane's process, database and Redis keys.
  await dpDb?.end().catch(() => undefined);
  await dp?.dispose();
  await cp?.stop();
});

describe('fair sharing while one tenant floods the data plane', () => {
  it("deals the command channel round robin: a quiet tenant's run overtakes a flood's command backlog", async () => {
    // The data plane is away while A queues its 400 run.start commands and B one behind them
    // (a partition, or simply a flood faster than the agent): when it comes back, the whole
    // backlog is waiting for it.
    await dp.stop();
    for (let i = 0; i < SPLIT_RUNS; i++) await startRun(a.api, a.workflowId, { flood: i });
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < SMALL_RUNS) await startRun(a.api, a.smallWorkflowId, { i: next++ });
      }),
    );
    const quietRun = await startRun(b.api, b.workflowId, { n: 0 });
    const backlog = await cp.db.dataPlaneCommand.count({ where: { tenantId: a.tenantId, type: 'run.start', ackedAt: null } });
    expect(backlog).toBe(SPLIT_RUNS + SMALL_RUNS);
    await dp.start();

    const quietCommand = await eventually(
      "B's run.start to be acknowledged",
      async () => (await cp.db.dataPlaneCommand.findFirst({ where: { tenantId: b.tenantId, type: 'run.start', ackedAt: { not: null }, payload: { path: ['runId'], equals: quietRun } } })) ?? undefined,
      90_000,
    );
    // First in, first out, it is acknowledged after every one of A's; round robin hands it out in the first batch.
    const older = await cp.db.dataPlaneCommand.findMany({ where: { tenantId: a.tenantId, type: 'run.start', seq: { lt: quietCommand.seq } }, select: { ackedAt: true } });
    expect(older).toHaveLength(SPLIT_RUNS + SMALL_RUNS);
    const ackedAfter = older.filter((c) => c.ackedAt === null || c.ackedAt > quietCommand.ackedAt!).length;
    expect(ackedAfter, "A's older run.start commands acknowledged after B's").toBeGreaterThanOrEqual(older.length * 0.9);
    expect(await finishedOnDataPlane(quietRun)).toBe('succeeded');
  }, 120_000);

  it("finishes each of a quiet tenant's runs while most of a 50,000-message flood is still pending", async () => {
    // The flood in flight: all of A's runs on the data plane, thousands of its messages queued.
    const inFlight = await eventually('the flood to be in flight', async () => {
      const f = await flood();
      return f.runs === SPLIT_RUNS + SMALL_RUNS && f.pending >= 2000 ? f : undefined;
    }, 120_000);
    expect(FLOOD_MESSAGES - inFlight.settled, "A's flood not yet processed").toBeGreaterThan(FLOOD_MESSAGES * 0.75);

    for (let i = 0; i < QUIET_RUNS; i++) {
      const before = await flood();
      const runId = await startRun(b.api, b.workflowId, { n: i + 1 });
      expect(await finishedOnDataPlane(runId)).toBe('succeeded');
      const after = await flood();
      // First in, first out, B's message would have waited for every one of A's queued before it.
      const processed = after.settled - before.settled;
      expect(processed, `B's run ${i + 1} finished after ${processed} of A's ${before.pending} queued messages`).toBeLessThan(before.pending / 2);
      expect(FLOOD_MESSAGES - after.settled, "A's flood not yet processed when B's run finished").toBeGreaterThan(FLOOD_MESSAGES / 2);
    }
  }, 240_000);

  it('lets the flooding tenant cancel its flood, and the quiet tenant sees its runs finished through the API', async () => {
    for (const workflowId of [a.workflowId, a.smallWorkflowId]) {
      const cancel = await a.api('POST', `/api/v1/workflows/${workflowId}/runs/cancel`);
      expect(cancel.status, JSON.stringify(cancel.body)).toBe(202);
    }
    await eventually(
      "A's runs to be cancelled on the data plane",
      async () => {
        const { rows } = await dpDb.query<{ open: string }>(`SELECT count(*) AS open FROM "Run" WHERE "tenantId" = $1 AND status NOT IN ('succeeded', 'failed', 'cancelled')`, [a.tenantId]);
        return Number(rows[0]!.open) === 0;
      },
      120_000,
    );
    expect((await flood()).pending).toBe(0);
    // Run metadata reaches the control plane through the event channel, behind the flood's own events.
    await eventually(
      "B's runs to show as succeeded through the API",
      async () => {
        const res = await b.api('GET', `/api/v1/runs?workflowId=${b.workflowId}`);
        const runs = (res.body?.data ?? res.body?.items ?? []) as { status: string }[];
        return runs.length === QUIET_RUNS + 2 && runs.every((r) => r.status === 'succeeded');
      },
      120_000,
    );
  }, 240_000);
});
