/**
 * The system under test: the control plane's HTTP apps in this process (test/support), one
 * real data-plane child process homed to three tenants (a quiet one that every phase but the
 * noisy-neighbour one uses, a noisy one, and a bystander that only samples beside the flood), and a
 * read-only connection to the data plane's own database for the timings the engine records.
 */
import pg from 'pg';
import { startTestControlPlane, type TestControlPlane } from '../../../test/support/control-plane.ts';
import { createTestDataPlane, type TestDataPlane } from '../../../test/support/data-plane.ts';
import { apiClient } from '../../../test/support/http.ts';
import { ResourceMeter } from './resources.ts';
import { checkAbort, pool, progress, sleep } from './util.ts';

export type Api = ReturnType<typeof apiClient>;

export interface Platform {
  cp: TestControlPlane;
  dp: TestDataPlane;
  /** The data plane's database (timestamps written by the engine). */
  db: pg.Pool;
  quiet: { tenantId: string; api: Api };
  noisy: { tenantId: string; api: Api };
  /**
   * The noisy-neighbour phase's quiet tenant: quiet until then. (The quiet tenant has just run
   * the other phases, a 10,000-item split among them, so its fair share is still spent.)
   */
  bystander: { tenantId: string; api: Api };
  /** Names of the two databases (on the TEST_DATABASE_URL server). */
  databases: { controlPlane: string; dataPlane: string };
  meter: ResourceMeter;
}

/** Starts everything, registering each piece's disposal with `onDispose` as soon as it exists. */
export async function startPlatform(options: { workerConcurrency: number; onDispose: (what: string, fn: () => Promise<void>) => void }): Promise<Platform> {
  // The bench starts thousands of runs with one API key: lift the per-key limit (default 600/min).
  const cp = await startTestControlPlane({ API_KEY_RATE_LIMIT_PER_MINUTE: 100_000_000 });
  options.onDispose('control plane (server, database)', () => cp.stop());
  checkAbort();
  const token = await cp.dataPlane('dp_bench');
  const quiet = await cp.tenant('bench-quiet', 'dp_bench');
  const noisy = await cp.tenant('bench-noisy', 'dp_bench');
  const bystander = await cp.tenant('bench-bystander', 'dp_bench');
  const dp = await createTestDataPlane({
    controlPlaneUrl: cp.url,
    enrollmentToken: token,
    env: { WORKER_CONCURRENCY: String(options.workerConcurrency), LOG_LEVEL: 'info' },
  });
  options.onDispose('data plane (process, database, Redis keys)', () => dp.dispose());
  checkAbort();
  await dp.start();
  const db = new pg.Pool({ connectionString: dp.databaseUrl, max: 3 });
  db.on('error', () => undefined);
  options.onDispose('data-plane database reader', () => db.end());
  // Only for pg_stat_user_tables of the control plane's database.
  const cpDb = new pg.Pool({ connectionString: cp.deps.config.DATABASE_URL, max: 1 });
  cpDb.on('error', () => undefined);
  options.onDispose('control-plane statistics reader', () => cpDb.end());
  const databases = { controlPlane: new URL(cp.deps.config.DATABASE_URL).pathname.slice(1), dataPlane: new URL(dp.databaseUrl).pathname.slice(1) };
  return {
    cp,
    dp,
    db,
    quiet: { tenantId: quiet.tenantId, api: apiClient(cp.url, quiet.apiKey) },
    noisy: { tenantId: noisy.tenantId, api: apiClient(cp.url, noisy.apiKey) },
    bystander: { tenantId: bystander.tenantId, api: apiClient(cp.url, bystander.apiKey) },
    databases,
    meter: new ResourceMeter({ dataPlane: db, controlPlane: cpDb }, databases),
  };
}

let counter = 0;

let ownQueries = 0;
/** Queries the bench itself has sent to the data plane's database (its polling shows in the database statistics too). */
export const benchQueries = () => ownQueries;

function query<R extends pg.QueryResultRow>(db: pg.Pool, text: string, params: unknown[]): Promise<pg.QueryResult<R>> {
  ownQueries++;
  return db.query<R>(text, params);
}

/** Creates a workflow through the API; returns its id. */
export async function createWorkflow(api: Api, document: { name: string; nodes: unknown[]; edges?: unknown[] }): Promise<string> {
  return (await createWorkflowWithLinks(api, document)).id;
}

export async function createWorkflowWithLinks(api: Api, document: { name: string; nodes: unknown[]; edges?: unknown[] }): Promise<{ id: string; webhook?: string }> {
  const res = await api('POST', '/api/v1/workflows', { ...document, name: `${document.name}-${counter++}` });
  if (res.status !== 201) throw new Error(`creating workflow ${document.name}: ${res.status} ${JSON.stringify(res.body)}`);
  const body = res.body as { id: string; links?: { webhook?: string } };
  return { id: body.id, webhook: body.links?.webhook };
}

/** POSTs to a workflow's webhook on the data plane (a run started there, no control-plane command); throws unless 202. */
export async function startRunByWebhook(url: string, body: unknown): Promise<Started> {
  const t0 = Date.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answeredAt = Date.now();
  const text = await res.text();
  if (res.status !== 202) throw new Error(`webhook ${res.status}: ${text.slice(0, 300)}`);
  return { runId: (JSON.parse(text) as { runId: string }).runId, t0, answeredAt };
}

/** Waits until the data plane knows the workflow's webhook (the triggers.register command applied). */
export async function waitForWebhook(db: pg.Pool, workflowId: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await query(db, 'SELECT 1 FROM "Webhook" WHERE "workflowId" = $1', [workflowId]);
    if (rows.length > 0) return;
    if (Date.now() > deadline) throw new Error(`the data plane never registered the webhook of ${workflowId}`);
    await sleep(50);
  }
}

export const script = (id: string, code = 'export default (input) => input') => ({ id, type: 'script', language: 'javascript', code });

/** A straight line of `n` lightweight script nodes. */
export function chainDocument(name: string, n: number) {
  const nodes = Array.from({ length: n }, (_, i) => script(`n${i + 1}`, 'export default (x) => ({ n: ((x && x.n) || 0) + 1 })'));
  const edges = nodes.slice(1).map((node, i) => ({ from: nodes[i]!.id, to: node.id }));
  return { name, nodes, edges };
}

export interface Started {
  runId: string;
  /** Date.now() just before the POST. */
  t0: number;
  /** Date.now() when the answer arrived. */
  answeredAt: number;
}

/** POST /api/v1/workflows/{id}/runs; throws unless 202. */
export async function startRun(api: Api, workflowId: string, input: unknown): Promise<Started> {
  const t0 = Date.now();
  const res = await api('POST', `/api/v1/workflows/${workflowId}/runs`, { input });
  const answeredAt = Date.now();
  if (res.status !== 202) throw new Error(`starting a run of ${workflowId}: ${res.status} ${JSON.stringify(res.body)}`);
  return { runId: (res.body as { id: string }).id, t0, answeredAt };
}

/** Starts `count` runs with at most `concurrency` API calls in flight. */
export async function startRuns(api: Api, workflowId: string, count: number, concurrency: number, input: (i: number) => unknown, label: string): Promise<Started[]> {
  let posted = 0;
  const every = Math.max(1, Math.round(count / 4));
  return pool(count, concurrency, async (i) => {
    const started = await startRun(api, workflowId, input(i));
    if (++posted % every === 0 && posted < count) progress(`${label}: ${posted}/${count} runs posted`);
    return started;
  });
}

const ms = (column: string) => `(extract(epoch from ${column}) * 1000)::float8`;

export interface RunCounts {
  total: number;
  finished: number;
  succeeded: number;
  failed: number;
}

/** Runs the data plane accepted at or after `since` (epoch ms): leaves out warm-up runs started before it. */
const SINCE = `(extract(epoch from r."createdAt") * 1000) >= $2`;

/** How many of a workflow's runs (accepted since `since`) the data plane holds, and how many have finished. */
export async function runCounts(db: pg.Pool, workflowId: string, since = 0): Promise<RunCounts> {
  const { rows } = await query<{ total: string; finished: string; succeeded: string; failed: string }>(
    db,
    `SELECT count(*) AS total,
            count(*) FILTER (WHERE status IN ('succeeded', 'failed', 'cancelled')) AS finished,
            count(*) FILTER (WHERE status = 'succeeded') AS succeeded,
            count(*) FILTER (WHERE status = 'failed') AS failed
       FROM "Run" r WHERE r."workflowId" = $1 AND ${SINCE}`,
    [workflowId, since],
  );
  const r = rows[0]!;
  return { total: Number(r.total), finished: Number(r.finished), succeeded: Number(r.succeeded), failed: Number(r.failed) };
}

export interface WorkflowWindow {
  nodeResults: number;
  /** Earliest NodeResult.startedAt / latest NodeResult.finishedAt of the workflow's runs (epoch ms). */
  firstNodeStart: number | null;
  lastNodeFinish: number | null;
  /** Earliest / latest Run.createdAt (the data plane accepting the run.start command). */
  firstAccepted: number | null;
  lastAccepted: number | null;
  lastRunFinish: number | null;
}

export async function workflowWindow(db: pg.Pool, workflowId: string, since = 0): Promise<WorkflowWindow> {
  const nodes = await query<{ n: string; first: number | null; last: number | null }>(
    db,
    `SELECT count(*) AS n, min(${ms('nr."startedAt"')}) AS first, max(${ms('nr."finishedAt"')}) AS last
       FROM "NodeResult" nr JOIN "Run" r ON r.id = nr."runId" WHERE r."workflowId" = $1 AND ${SINCE}`,
    [workflowId, since],
  );
  const runs = await query<{ first: number | null; last: number | null; finished: number | null }>(
    db,
    `SELECT min(${ms('r."createdAt"')}) AS first, max(${ms('r."createdAt"')}) AS last, max(${ms('r."finishedAt"')}) AS finished FROM "Run" r WHERE r."workflowId" = $1 AND ${SINCE}`,
    [workflowId, since],
  );
  const n = nodes.rows[0]!;
  const r = runs.rows[0]!;
  return { nodeResults: Number(n.n), firstNodeStart: n.first, lastNodeFinish: n.last, firstAccepted: r.first, lastAccepted: r.last, lastRunFinish: r.finished };
}

/** Messages of a workflow's runs (accepted since `since`): all of them, and those still pending or running. */
export async function workflowMessages(db: pg.Pool, workflowId: string, since = 0): Promise<{ total: number; pending: number }> {
  const { rows } = await query<{ total: string; pending: string }>(
    db,
    `SELECT count(*) AS total, count(*) FILTER (WHERE m.status IN ('pending', 'running')) AS pending
       FROM "Message" m JOIN "Run" r ON r.id = m."runId" WHERE r."workflowId" = $1 AND ${SINCE}`,
    [workflowId, since],
  );
  return { total: Number(rows[0]!.total), pending: Number(rows[0]!.pending) };
}

export interface RunTiming {
  runId: string;
  status: string | null;
  /** Run.createdAt: when the data plane stored the run (its agent applying the run.start command). */
  acceptedAt: number | null;
  /** Earliest NodeResult.startedAt of the run: the first node claimed by a worker, about to execute. */
  firstNodeStartedAt: number | null;
  /** Latest NodeResult.finishedAt of the run. */
  lastNodeFinishedAt: number | null;
  /** Run.startedAt / Run.finishedAt as the engine set them. */
  startedAt: number | null;
  finishedAt: number | null;
}

export async function runTimings(db: pg.Pool, runIds: string[]): Promise<Map<string, RunTiming>> {
  const { rows } = await query<{ id: string; status: string; accepted: number | null; started: number | null; finished: number | null; first: number | null; last: number | null }>(
    db,
    `SELECT r.id, r.status, ${ms('r."createdAt"')} AS accepted, ${ms('r."startedAt"')} AS started, ${ms('r."finishedAt"')} AS finished, n.first, n.last
       FROM "Run" r
       LEFT JOIN LATERAL (SELECT min(${ms('nr."startedAt"')}) AS first, max(${ms('nr."finishedAt"')}) AS last FROM "NodeResult" nr WHERE nr."runId" = r.id) n ON true
      WHERE r.id = ANY($1)`,
    [runIds],
  );
  return new Map(
    rows.map((r) => [r.id, { runId: r.id, status: r.status, acceptedAt: r.accepted, firstNodeStartedAt: r.first, lastNodeFinishedAt: r.last, startedAt: r.started, finishedAt: r.finished }]),
  );
}

export interface MessageCounts {
  [nodeAndStatus: string]: number;
}

/** Messages of one run by node and status, e.g. { "work:done": 1200, "all:waiting": 1100 }. */
export async function messageCounts(db: pg.Pool, runId: string): Promise<MessageCounts> {
  const { rows } = await query<{ node: string; status: string; n: string }>(db, `SELECT "nodeId" AS node, status, count(*) AS n FROM "Message" WHERE "runId" = $1 GROUP BY 1, 2`, [runId]);
  return Object.fromEntries(rows.map((r) => [`${r.node}:${r.status}`, Number(r.n)]));
}

/** Waits until `expected` runs of the workflow have finished, or the deadline passes; returns the last counts. */
export async function waitForRuns(db: pg.Pool, workflowId: string, expected: number, timeoutMs: number, label: string, since = 0): Promise<RunCounts & { timedOut: boolean }> {
  const deadline = Date.now() + timeoutMs;
  let lastReport = Date.now();
  for (;;) {
    checkAbort();
    const counts = await runCounts(db, workflowId, since);
    if (counts.finished >= expected) return { ...counts, timedOut: false };
    if (Date.now() > deadline) return { ...counts, timedOut: true };
    if (Date.now() - lastReport > 5000) {
      progress(`${label}: ${counts.finished}/${expected} runs finished (${counts.total} on the data plane)`);
      lastReport = Date.now();
    }
    // Not faster: "Run" has no index on workflowId, and the polls show in the database statistics.
    await sleep(250);
  }
}
