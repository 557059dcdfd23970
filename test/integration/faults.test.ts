import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.ts';
import { createTestDataPlane, type TestDataPlane } from '../support/data-plane.ts';
import { apiClient, eventually } from '../support/http.ts';

/**
 * Faults against the real processes: a control plane, and the data-plane program as a child
 * process with its own database and Redis key prefix, each reached through a TCP proxy of
 * this file's so it can be taken away from this data plane alone (the servers are shared with
 * other test files: nothing here stops them or flushes them). Each test breaks one thing the
 * engine promises — Postgres is the truth, Redis only transport; a node's result is recorded
 * once per message; what was recorded never runs again — and checks that it held.
 *
 * Side effects are made visible by http nodes calling a local server that notes each call's
 * run, node and `x-idempotency-key` (templated from `ctx.idempotencyKey`), and can hold a
 * response to keep a node mid-flight.
 */

let cp: TestControlPlane;
let dp: TestDataPlane;
let api: ReturnType<typeof apiClient>;
let db: pg.Pool;
let redis: Redis;
let server: Server;
let serverUrl: string;

interface Call {
  path: string;
  run: string;
  node: string;
  key: string;
  body: unknown;
  /** When the request arrived, in ms since the epoch. */
  at: number;
}
const calls: Call[] = [];
/** Responses held back, by path: the node making the call stays in the middle of running. */
const held = new Map<string, { res: ServerResponse; call: Call }[]>();
const holding = new Set<string>();
/** Paths whose calls are held only when the body says `hold: true`. */
const holdingMarked = new Set<string>();

function respond(res: ServerResponse, call: Call) {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, key: call.key }));
}

function release(path: string) {
  holding.delete(path);
  holdingMarked.delete(path);
  for (const { res, call } of held.get(path) ?? []) respond(res, call);
  held.delete(path);
}

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      const body = text ? (JSON.parse(text) as unknown) : null;
      const path = req.url!;
      const call: Call = { path, run: String(req.headers['x-run']), node: String(req.headers['x-node']), key: String(req.headers['x-idempotency-key']), body, at: Date.now() };
      calls.push(call);
      const marked = (body as { hold?: boolean } | null)?.hold === true;
      if (holding.has(path) || (holdingMarked.has(path) && marked)) {
        held.set(path, [...(held.get(path) ?? []), { res, call }]);
        return;
      }
      respond(res, call);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // Tests poll the API while they wait; its per-key rate limit is not what is tested here.
  cp = await startTestControlPlane({ API_KEY_RATE_LIMIT_PER_MINUTE: 100_000 });
  const token = await cp.dataPlane('dp_faults');
  const tenant = await cp.tenant('faults', 'dp_faults');
  api = apiClient(cp.url, tenant.apiKey);
  dp = await createTestDataPlane({
    controlPlaneUrl: cp.url,
    enrollmentToken: token,
    databaseProxy: true,
    redisProxy: true,
    // The test server is on loopback; info logs are enough to see failures and recoveries.
    env: { EGRESS_ALLOW_PRIVATE: 'true', LOG_LEVEL: 'info' },
  });
  await dp.start();
  // Straight to the data plane's database, never through the proxy the tests cut.
  db = new pg.Pool({ connectionString: dp.databaseUrl, max: 1 });
  db.on('error', () => undefined);
  redis = new Redis(dp.redis.url, { maxRetriesPerRequest: 3 });
}, 120_000);

afterAll(async () => {
  for (const path of [...held.keys()]) release(path);
  redis?.disconnect();
  await db?.end();
  await dp?.dispose();
  await cp?.stop();
  server?.closeAllConnections();
  server?.close();
});

beforeEach(async () => {
  // A test that failed half-way must not take the next one with it.
  await dp.databaseLink!.restore();
  await dp.redisLink!.restore();
  if (!dp.running) await dp.start();
});

// ---------------------------------------------------------------------------------------

let counter = 0;
async function createWorkflow(document: Record<string, unknown>): Promise<string> {
  const created = await api('POST', '/api/v1/workflows', { ...document, name: `${String(document.name)}-${counter++}` });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id as string;
}

async function startRuns(workflowId: string, inputs: unknown[]): Promise<string[]> {
  return Promise.all(
    inputs.map(async (input) => {
      const started = await api('POST', `/api/v1/workflows/${workflowId}/runs`, { input });
      expect(started.status, JSON.stringify(started.body)).toBe(202);
      return started.body.id as string;
    }),
  );
}

async function startRun(document: Record<string, unknown>, input: unknown = {}): Promise<string> {
  return (await startRuns(await createWorkflow(document), [input]))[0]!;
}

const TERMINAL = ['succeeded', 'failed', 'cancelled'];
/** The run as the control plane reports it, once finished (it learns from the data plane's events). */
async function finished(runId: string, timeoutMs = 45_000) {
  return eventually(
    `run ${runId} to finish`,
    async () => {
      const res = await api('GET', `/api/v1/runs/${runId}`);
      if (res.status !== 200) throw new Error(`GET run answered ${res.status}: ${JSON.stringify(res.body)}`);
      return TERMINAL.includes(res.body.status) ? res.body : undefined;
    },
    timeoutMs,
  );
}

/** Many runs of one workflow, polled with one list call (not one call per run: API keys are rate limited). */
async function allFinished(workflowId: string, runIds: string[], timeoutMs: number): Promise<{ id: string; status: string }[]> {
  return eventually(
    `${runIds.length} runs to finish`,
    async () => {
      const res = await api('GET', `/api/v1/runs?workflowId=${workflowId}&limit=200`);
      if (res.status !== 200) throw new Error(`GET runs answered ${res.status}: ${JSON.stringify(res.body)}`);
      const byId = new Map((res.body.data as { id: string; status: string }[]).map((r) => [r.id, r]));
      const runs = runIds.map((id) => byId.get(id));
      return runs.every((r) => r && TERMINAL.includes(r.status)) ? (runs as { id: string; status: string }[]) : undefined;
    },
    timeoutMs,
  );
}

async function query<T extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  return (await db.query(sql, params)).rows as T[];
}

/** Per node of a run: messages it received and results recorded for it, in the data-plane DB. */
async function ledger(runId: string) {
  const rows = await query<{ nodeId: string; messages: number; results: number }>(
    `SELECT m."nodeId", count(*)::int AS messages, count(r."messageId")::int AS results
       FROM "Message" m LEFT JOIN "NodeResult" r ON r."messageId" = m.id
      WHERE m."runId" = $1 GROUP BY m."nodeId"`,
    [runId],
  );
  return Object.fromEntries(rows.map((r) => [r.nodeId, { messages: r.messages, results: r.results }]));
}

// Prisma stores DateTime as UTC `timestamp without time zone`: read as epoch milliseconds,
// whatever this machine's time zone.
const epochMs = (column: string) => `(extract(epoch FROM "${column}") * 1000)::float8`;

async function results(runId: string) {
  return query<{ messageId: string; nodeId: string; status: string; attempts: number; output: unknown; finishedAt: number }>(
    `SELECT "messageId", "nodeId", status, attempts, output, ${epochMs('finishedAt')} AS "finishedAt" FROM "NodeResult" WHERE "runId" = $1`,
    [runId],
  );
}

async function message(runId: string, nodeId: string) {
  const rows = await query<{ id: string; status: string; attempts: number; availableAt: number | null }>(
    `SELECT id, status, attempts, ${epochMs('availableAt')} AS "availableAt" FROM "Message" WHERE "runId" = $1 AND "nodeId" = $2`,
    [runId, nodeId],
  );
  return rows[0];
}

const js = (id: string, code: string, extra: Record<string, unknown> = {}) => ({ id, type: 'script', language: 'javascript', code, ...extra });
/** An http node whose call the test server can see: run, node and idempotency key in headers. */
const effect = (id: string, path: string) => ({
  id,
  type: 'http',
  application: 'ledger',
  request: {
    method: 'POST',
    url: `${serverUrl}${path}`,
    headers: { 'x-idempotency-key': '{{ ctx.idempotencyKey }}', 'x-run': '{{ ctx.run.id }}', 'x-node': '{{ ctx.node.id }}' },
    body: '{{ input }}',
  },
});

/** Deletes this data plane's Redis keys (and only its own: the server is shared with other test files). */
async function wipeRedis(): Promise<number> {
  const pattern = `${dp.redis.prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length > 0) deleted += await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  return deleted;
}

// ---------------------------------------------------------------------------------------

describe('the worker is killed (SIGKILL) while a node is running', () => {
  it('completes the run after a restart: one result per message, one message per successor, the side effect repeated only under the same key', async () => {
    holding.add('/kill/charge');
    const runId = await startRun(
      {
        name: 'kill',
        nodes: [effect('charge', '/kill/charge'), js('after', 'export default (x, ctx) => ({ charged: x.status === 200, attempt: ctx.attempt })')],
        edges: [{ from: 'charge', to: 'after' }],
      },
      { order: 'o-1' },
    );
    // The charge call has reached the partner, which has not answered yet.
    await eventually('the charge call to arrive', async () => calls.some((c) => c.run === runId && c.node === 'charge'));
    await dp.kill('SIGKILL');
    release('/kill/charge'); // from now on the partner answers at once

    await dp.start();
    const run = await finished(runId, 45_000);
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');

    expect(await ledger(runId)).toEqual({ charge: { messages: 1, results: 1 }, after: { messages: 1, results: 1 } });
    const recorded = await results(runId);
    const charge = recorded.find((r) => r.nodeId === 'charge')!;
    expect(charge.status).toBe('succeeded');
    // The crashed delivery counts as a try: the node ran again, as attempt 2.
    expect(charge.attempts).toBe(2);
    const charges = calls.filter((c) => c.run === runId && c.node === 'charge');
    expect(charges.length).toBe(2);
    expect(new Set(charges.map((c) => c.key))).toEqual(new Set([charge.messageId]));
    expect(recorded.find((r) => r.nodeId === 'after')!.output).toEqual({ charged: true, attempt: 1 });
  });

  // A worker carries a chain's next message on in the same job when the queue is idle
  // (worker.ts): such a message has no job of its own for a restart to find.
  const carried = (name: string, path: string) => ({
    name,
    nodes: [js('first', 'export default (x) => x'), effect('charge', path), js('after', 'export default (x, ctx) => ({ charged: x.status === 200, attempt: ctx.attempt })')],
    edges: [
      { from: 'first', to: 'charge' },
      { from: 'charge', to: 'after' },
    ],
  });
  /** Whether the message has a job of its own in Redis. */
  const hasJob = async (messageId: string) => (await redis.exists(`${dp.redis.prefix}:nodes:${messageId}`)) === 1;

  it('brings back a message the killed worker had carried on from the node before (the reconciler finds it)', async () => {
    holding.add('/kill/carried');
    const runId = await startRun(carried('kill-carried', '/kill/carried'), { order: 'o-2' });
    await eventually('the charge call to arrive', async () => calls.some((c) => c.run === runId && c.node === 'charge'));
    const charging = (await message(runId, 'charge'))!;
    expect(await hasJob(charging.id)).toBe(false);
    await dp.kill('SIGKILL');
    release('/kill/carried');

    await dp.start();
    const run = await finished(runId, 60_000);
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(await ledger(runId)).toEqual({ first: { messages: 1, results: 1 }, charge: { messages: 1, results: 1 }, after: { messages: 1, results: 1 } });
    const charges = calls.filter((c) => c.run === runId && c.node === 'charge');
    expect(charges.map((c) => c.key)).toEqual([charging.id, charging.id]);
  });

  it('does not deliver a carried message twice while it runs longer than the reconciler waits', async () => {
    holding.add('/slow/carried');
    const runId = await startRun(carried('slow-carried', '/slow/carried'));
    await eventually('the charge call to arrive', async () => calls.some((c) => c.run === runId && c.node === 'charge'));
    const charging = (await message(runId, 'charge'))!;
    expect(await hasJob(charging.id)).toBe(false);
    // Past the reconciler's threshold (10 s) and a pass (every 5 s): its row was kept fresh.
    await new Promise((r) => setTimeout(r, 16_000));
    release('/slow/carried');
    const run = await finished(runId, 30_000);
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(calls.filter((c) => c.run === runId && c.node === 'charge')).toHaveLength(1);
    expect((await results(runId)).find((r) => r.nodeId === 'charge')!.attempts).toBe(1);
  }, 60_000);
});

describe('Redis loses everything while runs are in flight', () => {
  it('finishes every run from Postgres, runs nothing that was recorded again, and the workers carry on by themselves', async () => {
    holdingMarked.add('/wipe/a');
    const document = {
      name: 'wipe',
      nodes: [effect('a', '/wipe/a'), { id: 'pause', type: 'delay', durationMs: 8000 }, effect('b', '/wipe/b')],
      edges: [
        { from: 'a', to: 'pause' },
        { from: 'pause', to: 'b' },
      ],
    };
    // 20 runs that will all be waiting in the delay, and one stuck in `a` (its call held).
    const workflowId = await createWorkflow(document);
    const runIds = await startRuns(workflowId, [...Array.from({ length: 20 }, (_, i) => ({ i })), { i: 20, hold: true }]);
    const heldRun = runIds[20]!;
    await eventually(
      'every run to be in flight: 20 in the delay, one in its first node',
      async () => {
        const [row] = await query<{ n: number }>(`SELECT count(*)::int AS n FROM "Message" WHERE "runId" = ANY($1) AND "nodeId" = 'pause' AND "availableAt" IS NOT NULL AND status = 'pending'`, [runIds]);
        return row!.n === 20 && calls.some((c) => c.run === heldRun);
      },
      30_000,
    );

    // A Redis restart that lost its data: connections drop and are refused, the keys go
    // (this data plane's only: the server is shared, so no FLUSHALL), then it is back, empty.
    await dp.redisLink!.cut();
    expect(await wipeRedis()).toBeGreaterThan(0);
    await dp.redisLink!.restore();
    release('/wipe/a'); // the held node finishes now, its job gone from Redis
    // The workers reconnect by themselves: new work goes through without a restart.
    const fresh = await startRun({ name: 'fresh', nodes: [effect('only', '/wipe/fresh')] });

    const runs = await allFinished(workflowId, runIds, 60_000);
    expect(runs.map((r) => r.status)).toEqual(runIds.map(() => 'succeeded'));
    // They finished from Postgres: the reconciler put the lost messages back on the queue.
    expect(dp.logs.some((l) => l.includes('re-enqueued messages missing from the queue'))).toBe(true);

    for (const runId of runIds) {
      expect(await ledger(runId)).toEqual({ a: { messages: 1, results: 1 }, pause: { messages: 1, results: 1 }, b: { messages: 1, results: 1 } });
      // Nothing that was recorded ran again: every call of a node came before its result was
      // recorded, and under that message's key.
      for (const r of await results(runId)) {
        for (const c of calls.filter((c) => c.run === runId && c.node === r.nodeId)) {
          expect(c.key).toBe(r.messageId);
          expect(c.at).toBeLessThanOrEqual(r.finishedAt);
        }
      }
    }
    expect((await finished(fresh, 30_000)).status).toBe('succeeded');
  });
});

describe('a run is cancelled while it waits in a delay', () => {
  it('starts no node after the delay, even when the delay fires', async () => {
    const runId = await startRun(
      {
        name: 'cancel',
        nodes: [js('first', 'export default (x) => x'), { id: 'pause', type: 'delay', durationMs: 60_000 }, effect('after', '/cancel/after')],
        edges: [
          { from: 'first', to: 'pause' },
          { from: 'pause', to: 'after' },
        ],
      },
    );
    const waiting = await eventually('the run to wait in the delay', async () => {
      const m = await message(runId, 'pause');
      return m?.availableAt ? m : undefined;
    });
    const cancelled = await api('POST', `/api/v1/runs/${runId}/cancel`);
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(202);
    expect((await finished(runId)).status).toBe('cancelled');
    await eventually('the data plane to cancel the run', async () => (await message(runId, 'pause'))?.status === 'cancelled');

    // Let the delay fire now rather than in a minute, and wait until its job has been handled.
    const queue = new Queue('nodes', { connection: { url: dp.redis.url } as never, prefix: dp.redis.prefix });
    try {
      const job = await queue.getJob(waiting.id);
      expect(await job!.getState()).toBe('delayed');
      await job!.promote();
      await eventually('the delayed message to be delivered and dropped', async () => (await queue.getJob(waiting.id)) === undefined);
    } finally {
      await queue.close();
    }

    expect(await ledger(runId)).toEqual({ first: { messages: 1, results: 1 }, pause: { messages: 1, results: 0 } });
    expect((await query(`SELECT status FROM "Run" WHERE id = $1`, [runId]))[0]).toEqual({ status: 'cancelled' });
    expect(calls.filter((c) => c.run === runId)).toEqual([]);
  });
});

describe('the data plane stops during a retry backoff', () => {
  it('still retries after it is started again, and the run succeeds on attempt 2', async () => {
    const runId = await startRun(
      {
        name: 'retry-restart',
        nodes: [
          js('flaky', "export default (x, ctx) => { if (ctx.attempt === 1) throw new Error('first try fails'); return { attempt: ctx.attempt, key: ctx.idempotencyKey } }", {
            retry: { attempts: 3, backoff: 'fixed', delayMs: 3000 },
          }),
          js('done', 'export default (x) => ({ ...x, done: true })'),
        ],
        edges: [{ from: 'flaky', to: 'done' }],
      },
    );
    const backoff = await eventually('attempt 1 to fail into its backoff', async () => {
      const m = await message(runId, 'flaky');
      return m?.status === 'pending' && m.attempts === 1 && m.availableAt ? m : undefined;
    });
    await dp.stop();
    // The retry falls due while nothing is running.
    await eventually('the retry to fall due', async () => Date.now() > backoff.availableAt! + 250, 10_000);
    await dp.start();

    const run = await finished(runId);
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(run.nodes.find((n: { id: string }) => n.id === 'flaky').attempts).toBe(2);
    const recorded = await results(runId);
    expect(recorded.find((r) => r.nodeId === 'flaky')).toMatchObject({ attempts: 2, output: { attempt: 2, key: backoff.id } });
    expect(recorded.find((r) => r.nodeId === 'done')!.output).toEqual({ attempt: 2, key: backoff.id, done: true });
    expect(await ledger(runId)).toEqual({ flaky: { messages: 1, results: 1 }, done: { messages: 1, results: 1 } });
  });
});

describe('the data-plane database goes away mid-run', () => {
  it('completes the run once it is back, with nothing completed twice', async () => {
    holding.add('/db/call');
    const document = {
      name: 'db-outage',
      nodes: [effect('call', '/db/call'), { id: 'pause', type: 'delay', durationMs: 500 }, js('end', 'export default (x) => ({ status: x.status })')],
      edges: [
        { from: 'call', to: 'pause' },
        { from: 'pause', to: 'end' },
      ],
    };
    const runId = await startRun(document);
    const inFlight = await eventually('the call to be in flight', async () => calls.find((c) => c.run === runId));
    const recordingFailed = () => dp.logs.some((l) => l.includes('message processing failed') && l.includes(inFlight.key));

    await dp.databaseLink!.cut();
    release('/db/call'); // the node finishes while its result cannot be recorded
    // A run started during the outage too: the agent receives its command but cannot apply it.
    const agentFailures = () => dp.logs.filter((l) => l.includes('"loop":"commands"') && l.includes('failed')).length;
    const agentBefore = agentFailures();
    const during = await startRun({ ...document, name: 'db-outage-during' });
    await eventually('the worker to fail recording the result', async () => recordingFailed(), 15_000);
    await eventually('the agent to fail applying the new run', async () => agentFailures() > agentBefore, 15_000);
    await dp.databaseLink!.restore();

    for (const id of [runId, during]) {
      const run = await finished(id, 60_000);
      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      expect(await ledger(id)).toEqual({ call: { messages: 1, results: 1 }, pause: { messages: 1, results: 1 }, end: { messages: 1, results: 1 } });
      const call = (await results(id)).find((r) => r.nodeId === 'call')!;
      const made = calls.filter((c) => c.run === id);
      // The call whose result was lost with the database was made again, under the same key.
      expect(made.length).toBe(id === runId ? 2 : 1);
      expect(new Set(made.map((c) => c.key))).toEqual(new Set([call.messageId]));
    }
    expect(dp.running).toBe(true);
  });

  it('hands a message the worker carried on back to the queue when its result cannot be recorded, then completes it once', async () => {
    holding.add('/db/carried');
    const runId = await startRun({
      name: 'db-outage-carried',
      nodes: [js('first', 'export default (x) => x'), effect('call', '/db/carried'), js('end', 'export default (x) => ({ status: x.status })')],
      edges: [
        { from: 'first', to: 'call' },
        { from: 'call', to: 'end' },
      ],
    });
    const inFlight = await eventually('the call to be in flight', async () => calls.find((c) => c.run === runId));
    await dp.databaseLink!.cut();
    release('/db/carried');
    // Reported, and retried, as the carried message itself (not the job it rode in).
    await eventually('the worker to fail recording the carried result', async () => dp.logs.some((l) => l.includes('message processing failed') && l.includes(inFlight.key)), 15_000);
    await dp.databaseLink!.restore();

    const run = await finished(runId, 60_000);
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(await ledger(runId)).toEqual({ first: { messages: 1, results: 1 }, call: { messages: 1, results: 1 }, end: { messages: 1, results: 1 } });
    const made = calls.filter((c) => c.run === runId);
    expect(made.length).toBe(2);
    expect(new Set(made.map((c) => c.key))).toEqual(new Set([inFlight.key]));
  });
});
