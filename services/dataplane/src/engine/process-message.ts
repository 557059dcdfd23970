import { sinkNodes, type WorkflowDocument } from '@orvanta/spec';
import { newId, nulPath, nulProblem, withoutNul } from '@orvanta/protocol';
import { inTx, type Db, type Prisma, type Sql, type Tx } from '../db.ts';
import type { Logger } from '../log.ts';
import type { LogEntry, SandboxLimits, SandboxPool } from '../sandbox/index.ts';
import { evaluate, ExpressionError, truthy } from './expressions.ts';
import { HttpNodeError, runHttpNode, type HttpNodeSpec } from './http-node.ts';
import { dropLiveLogs, LiveLogWriter } from './live-logs.ts';
import { arriveAtJoin, checkJoinGroup, claimUngated, JOIN_SCAN, joinBlocked, readMessage, recordLast, recordSent, runOutputOf, upstreamOutputs, type MessageToProcess } from './hot-path.ts';
import { emitEvent } from './outbox.ts';
import { runScriptNode } from './script-node.ts';
import { createRun } from './start-run.ts';
import { branchOf, buildPlan, joinKeyOf, type BranchFrame, type Plan, type PlanNode } from './plan.ts';
import type { NodeJobData } from './queue.ts';
import { nextRetryDelay } from './retry.ts';
import { redactSecrets, type SecretStore } from '../secrets.ts';

export interface EngineDeps {
  db: Db;
  /** The pool beneath `db`, for the hot path (hot-path.ts). */
  sql: Sql;
  sandbox: SandboxPool;
  limits: SandboxLimits;
  log: Logger;
  /** Egress policy of http nodes. */
  egress?: { allowPrivate: boolean };
  /** Tenants' secrets, for `{{ secrets.NAME }}` in http nodes; redacted from everything recorded. */
  secrets?: SecretStore;
}

/** What became of one delivery: messages to enqueue now, and whether to run this one again later. */
export interface Processed {
  next: NodeJobData[];
  /** Set when the message waits (retry backoff, delay node): deliver it again at this time. */
  retryAt?: Date;
  /** The one message sent on, as stored: whoever runs it next in this process need not read it back. */
  sentOn?: MessageToProcess;
}

const SETTLED = ['done', 'failed', 'cancelled', 'waiting', 'parked'];
const TERMINAL_RUN = ['succeeded', 'failed', 'cancelled'];
const json = (value: unknown) => (value ?? null) as Prisma.InputJsonValue;

interface Failure {
  class: string;
  message: string;
  [detail: string]: unknown;
}
export type NodeOutcome = { ok: true; output: unknown; logs: unknown[] } | { ok: false; error: Failure; logs: unknown[] };

/** A message to create: a node, its payload and its split lineage. */
interface Route {
  nodeId: string;
  payload: unknown;
  branch: BranchFrame[];
}

/** Versions are immutable, so their plans are cached for the life of the process. */
const plans = new Map<string, Plan>();
export async function loadPlan(db: Db | Tx, versionId: string): Promise<Plan> {
  let plan = plans.get(versionId);
  if (!plan) {
    const row = await db.workflowVersion.findUniqueOrThrow({ where: { id: versionId } });
    plan = buildPlan(row.document as unknown as WorkflowDocument);
    plans.set(versionId, plan);
  }
  return plan;
}

/**
 * Runs one message through its node. Node code runs at least once; its result is
 * recorded exactly once (guarded by the message's status); successor messages are created
 * in that same transaction and returned for enqueueing. A failure the node's `retry`
 * covers puts the message back with a backoff instead.
 */
export async function processMessage(deps: EngineDeps, messageId: string, known?: MessageToProcess): Promise<Processed> {
  const { db } = deps;
  // `known`: a message this process has just stored (Processed.sentOn); its claim still checks
  // that nothing settled it meanwhile.
  const message = known?.id === messageId ? known : await readMessage(deps.sql, messageId);
  if (!message || SETTLED.includes(message.status)) return { next: [] };
  const { run } = message;
  if (TERMINAL_RUN.includes(run.status)) {
    await db.message.updateMany({ where: { id: messageId, status: { in: ['pending', 'running'] } }, data: { status: 'cancelled' } });
    return { next: [] };
  }
  if (message.availableAt && message.availableAt.getTime() > Date.now()) return { next: [], retryAt: message.availableAt };

  const plan = await loadPlan(db, run.workflowVersionId);
  const node = plan.nodes.get(message.nodeId)!;

  if (node.type === 'join') {
    const joinKey = joinKeyOf(plan, node.id, message.branch);
    const arrival = await arriveAtJoin(deps.sql, run.id, messageId, joinKey, joinInputs(plan, node.id));
    return { next: arrival === 'check' ? await settleJoin(db, plan, run, joinKey) : [] };
  }
  if (node.type === 'subworkflow') {
    return db.$transaction(async (tx) => {
      await lockRun(tx, run.id);
      const { count } = await tx.message.updateMany({ where: { id: messageId, status: 'pending' }, data: { status: 'running', attempts: message.attempts + 1 } });
      if (count === 0) return { next: [] };
      await markRunStarted(tx, run);
      await emitEvent(tx, { type: 'node.status', payload: { runId: run.id, tenantId: run.tenantId, at: new Date().toISOString(), nodeId: node.id, status: 'running', attempt: message.attempts + 1 } });
      return startChildRun(tx, node, { id: messageId, payload: message.payload, runId: run.id }, run);
    });
  }
  if (node.type === 'delay' && !message.availableAt) {
    const until = new Date(Date.now() + Number(node.durationMs ?? 0));
    // The wait is the node running: the run and the node say so while it lasts.
    await db.$transaction(async (tx) => {
      const { count } = await tx.message.updateMany({ where: { id: messageId, status: 'pending' }, data: { availableAt: until } });
      if (count === 0) return;
      await markRunStarted(tx, run);
      await emitEvent(tx, { type: 'node.status', payload: { runId: run.id, tenantId: run.tenantId, at: new Date().toISOString(), nodeId: node.id, status: 'running', attempt: 1 } });
    });
    return { next: [], retryAt: until };
  }

  const attempt = message.attempts + 1;
  // Most claims need no gate: one statement. Gates (node concurrency, application limits) need a transaction.
  const claimed =
    typeof node.concurrency !== 'number' && node.type !== 'http'
      ? await claimUngated(deps.sql, run, node.id, messageId, attempt, branchOf(message.branch).length > 0)
      : await db.$transaction((tx) => claimGated(tx, run, node, messageId, attempt));
  if (claimed === 'busy') return { next: [], retryAt: new Date(Date.now() + CAPACITY_RETRY_MS) };
  if (claimed instanceof Date) return { next: [], retryAt: claimed };
  if (!claimed) return { next: [] };

  const startedAt = new Date();
  // The latest output of each node upstream of this one (one row per node, however many
  // items a split sent through it).
  // Secrets are loaded for http nodes, which use them, and script nodes, whose logs are
  // written while they run; they are scrubbed from whatever the node returns, logs or throws
  // before anything is recorded, live log lines included.
  const [outputs, secrets] = await Promise.all([
    upstreamOutputs(deps.sql, run.id, plan.upstream.get(node.id) ?? []),
    (node.type === 'http' || node.type === 'script') && deps.secrets ? deps.secrets.forTenant(run.tenantId) : ({} as Record<string, string>),
  ]);
  const ctx = {
    node: { id: node.id, type: node.type, name: node.name ?? node.id },
    run: { id: run.id, workflowId: run.workflowId },
    attempt,
    // Stable across retries of this message: callers use it to make side effects idempotent.
    idempotencyKey: message.id,
    outputs,
    item: branchOf(message.branch).at(-1) ?? null,
  };
  const redacted = Object.values(secrets);
  const live = node.type === 'script' ? new LiveLogWriter(db, { tenantId: run.tenantId, runId: run.id, messageId, attempt }, redacted, deps.log) : undefined;
  let executed: NodeOutcome;
  try {
    executed = await execute(deps, node, message.payload, ctx, node.type === 'http' ? secrets : {}, live?.add);
  } finally {
    await live?.stop();
  }
  const outcome = storable(redactSecrets(executed, redacted));
  if (!outcome.ok && node.type === 'http') await slowDownOnRetryAfter(db, run.tenantId, String(node.application), outcome.error);
  // Where the output goes is worked out before the transaction: `when` and `items` are
  // expressions, and a failing one fails the node like any other error.
  let routes: Route[] = [];
  let result = outcome;
  if (outcome.ok) {
    try {
      routes = await routesFrom(plan, node, outcome.output, branchOf(message.branch), message.id);
    } catch (err) {
      result = { ok: false, error: failureOf(err), logs: outcome.logs };
    }
  }

  // Live lines to drop: this attempt's, or an earlier attempt's (one that crashed may have left some).
  const liveLogs = !!live && (live.wrote || attempt > 1);
  if (result.ok && routes.length > 0 && !liveLogs) {
    // The common case, a success that sends messages on: one statement (hot-path.ts). What it
    // sends to a join arrives there at once: no queue hop for each item of a split.
    const sent = routes.map((r) => {
      const joinKey = plan.nodes.get(r.nodeId)!.type === 'join' ? joinKeyOf(plan, r.nodeId, r.branch) : undefined;
      return { id: newId('msg'), nodeId: r.nodeId, payload: r.payload, ...(r.branch.length ? { branch: r.branch } : {}), ...(joinKey ? { joinKey } : {}) };
    });
    const recorded = await recordSent(deps.sql, { run, nodeId: node.id, messageId, attempt, startedAt, finishedAt: new Date(), output: result.output, logs: result.logs, sent });
    if (!recorded) return { next: [] };
    const next = sent.filter((m) => !m.joinKey).map((m) => ({ messageId: m.id, runId: run.id, tenantId: run.tenantId }));
    for (const joinKey of new Set(sent.flatMap((m) => m.joinKey ?? []))) {
      const joinId = joinKey.slice(0, joinKey.indexOf('|'));
      if ((await checkJoinGroup(deps.sql, run.id, joinKey, joinInputs(plan, joinId))) === 'check') next.push(...(await settleJoin(db, plan, run, joinKey)));
    }
    const [only] = sent;
    if (sent.length !== 1 || next.length !== 1 || only!.joinKey) return { next };
    // As stored (JSON), as a read would give it.
    const sentOn = { id: only!.id, nodeId: only!.nodeId, status: 'pending', attempts: 0, payload: JSON.parse(JSON.stringify(only!.payload ?? null)) as unknown, branch: only!.branch ?? null, availableAt: null, run: { ...run, status: 'running' } };
    return { next, sentOn };
  }
  if (result.ok && routes.length === 0 && !liveLogs && plan.joinSource.size === 0 && node.type !== 'split') {
    // A sink in a run without joins: recorded, and the run finished if it was the last (hot-path.ts).
    const last = await recordLast(deps.sql, { run, nodeId: node.id, messageId, attempt, startedAt, finishedAt: new Date(), output: result.output, logs: result.logs, sinks: sinkNodes(plan.document) });
    if (last !== 'general') return { next: [] };
  }
  return db.$transaction((tx) => record(tx, { plan, node, messageId, runId: run.id, attempt, startedAt, outcome: result, routes, liveLogs }));
}

/** A join and the nodes upstream of it: where a message still on its way to it can be. */
const joinInputs = (plan: Plan, joinId: string) => [joinId, ...(plan.upstream.get(joinId) ?? [])];

/** After an arrival at a join that may have been the last: under the run's lock, fires the join (once) or ends the run. */
async function settleJoin(db: Db, plan: Plan, run: { id: string; tenantId: string; status: string }, joinKey: string): Promise<NodeJobData[]> {
  return db.$transaction(async (tx) => {
    await lockRun(tx, run.id);
    await markRunStarted(tx, run);
    return settle(tx, plan, run.id, 0, joinKey);
  });
}

/** Settles a run found stuck at its joins (hot-path.ts `runsStuckAtJoins`): for the reconciler. */
export async function settleStuckRun(db: Db, runId: string): Promise<NodeJobData[]> {
  return db.$transaction(async (tx) => {
    const run = await lockRun(tx, runId);
    if (!run) return [];
    return settle(tx, await loadPlan(tx, run.workflowVersionId), run);
  });
}

/**
 * What a node gave back, made storable: Postgres cannot hold U+0000 (NUL). In log lines and
 * error messages it becomes U+FFFD, as in live logs; an output holding one fails the node
 * (`OutputNotStorable`, not retried), since changing customer data silently is worse.
 */
function storable(outcome: NodeOutcome): NodeOutcome {
  if (!(JSON.stringify(outcome) ?? '').includes('\\u0000')) return outcome;
  if (!outcome.ok) return withoutNul(outcome);
  const logs = withoutNul(outcome.logs);
  const at = nulPath(outcome.output);
  return at ? { ok: false, error: { class: 'OutputNotStorable', message: nulProblem("The node's output", at) }, logs } : { ...outcome, logs };
}

/** A claim past the node's concurrency and its application's limits: a time to retry at, 'busy', or whether it was claimed. */
async function claimGated(tx: Tx, run: { id: string; tenantId: string; workflowId: string; status: string }, node: PlanNode, messageId: string, attempt: number): Promise<boolean | 'busy' | Date> {
  if (typeof node.concurrency === 'number' && (await atCapacity(tx, run.workflowId, node.id, node.concurrency, messageId))) return 'busy' as const;
  const application = node.type === 'http' ? String(node.application) : null;
  if (application) {
    const waitUntil = await applicationGate(tx, run.tenantId, application, messageId);
    if (waitUntil) return waitUntil;
    await tx.message.update({ where: { id: messageId }, data: { application } });
  }
  // Conditional, so a message cancelled meanwhile is not revived.
  const { count } = await tx.message.updateMany({ where: { id: messageId, status: { in: ['pending', 'running'] } }, data: { status: 'running', attempts: attempt } });
  if (count === 0) return false;
  await markRunStarted(tx, run);
  await emitEvent(tx, { type: 'node.status', payload: { runId: run.id, tenantId: run.tenantId, at: new Date().toISOString(), nodeId: node.id, status: 'running', attempt } });
  return true;
}

/**
 * An application's limits, shared by every workflow of the tenant calling it: its adaptive
 * pause, its concurrency and its rate (a fixed window). Null when the call may go now,
 * else when to try again. The application's row is locked, so callers queue up on it.
 */
async function applicationGate(tx: Tx, tenantId: string, name: string, messageId: string): Promise<Date | null> {
  await tx.$executeRaw`INSERT INTO "ApplicationLimit" ("tenantId", "name", "windowCount", "updatedAt") VALUES (${tenantId}, ${name}, 0, now()) ON CONFLICT DO NOTHING`;
  const [limit] = await tx.$queryRaw<{ pausedUntil: Date | null; concurrency: number | null; rateLimitRequests: number | null; rateLimitPerSeconds: number | null; windowStart: Date | null; windowCount: number }[]>`
    SELECT "pausedUntil", "concurrency", "rateLimitRequests", "rateLimitPerSeconds", "windowStart", "windowCount" FROM "ApplicationLimit"
    WHERE "tenantId" = ${tenantId} AND "name" = ${name} FOR UPDATE`;
  const now = Date.now();
  if (limit!.pausedUntil && limit!.pausedUntil.getTime() > now) return limit!.pausedUntil;
  if (limit!.concurrency) {
    const running = await tx.message.count({ where: { tenantId, application: name, status: 'running', id: { not: messageId } } });
    if (running >= limit!.concurrency) return new Date(now + CAPACITY_RETRY_MS);
  }
  if (limit!.rateLimitRequests && limit!.rateLimitPerSeconds) {
    const windowMs = limit!.rateLimitPerSeconds * 1000;
    const fresh = !limit!.windowStart || now - limit!.windowStart.getTime() >= windowMs;
    const windowStart = fresh ? new Date(now) : limit!.windowStart!;
    const count = fresh ? 0 : limit!.windowCount;
    if (count >= limit!.rateLimitRequests) return new Date(windowStart.getTime() + windowMs);
    await tx.applicationLimit.update({ where: { tenantId_name: { tenantId, name } }, data: { windowStart, windowCount: count + 1 } });
  }
  return null;
}

/** A 429 or 503 with Retry-After pauses every call to the application for that long. */
async function slowDownOnRetryAfter(db: Db, tenantId: string, name: string, error: Failure): Promise<void> {
  if (error.class !== 'HttpRateLimited' && error.status !== 503) return;
  const header = error.retryAfter;
  if (typeof header !== 'string' || header === '') return;
  const seconds = /^\d+$/.test(header) ? Number(header) : (Date.parse(header) - Date.now()) / 1000;
  if (!Number.isFinite(seconds) || seconds <= 0) return;
  const until = new Date(Date.now() + Math.min(seconds, 3600) * 1000);
  await db.applicationLimit.upsert({ where: { tenantId_name: { tenantId, name } }, create: { tenantId, name, pausedUntil: until }, update: { pausedUntil: until } });
}

/** How soon a message held back by its node's `concurrency` is tried again. */
const CAPACITY_RETRY_MS = 200;

/**
 * A node's `concurrency`: at most that many of its messages running at once on this data
 * plane, across every run of the workflow. Claims of one node are serialised by an advisory
 * lock, so two workers cannot both take the last slot.
 */
async function atCapacity(tx: Tx, workflowId: string, nodeId: string, limit: number, messageId: string): Promise<boolean> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`concurrency:${workflowId}/${nodeId}`}::text, 0::bigint))`;
  const [row] = await tx.$queryRaw<{ running: number }[]>`
    SELECT count(*)::int AS "running" FROM "Message" m JOIN "Run" r ON r."id" = m."runId"
    WHERE m."status" = 'running' AND m."nodeId" = ${nodeId} AND r."workflowId" = ${workflowId} AND m."id" <> ${messageId}`;
  return row!.running >= limit;
}

/** The run's row as `settle` needs it. */
type RunRow = { id: string; tenantId: string; workflowId: string; workflowVersionId: string; status: string; resumptions: number };

/** Reads the run without locking it. */
async function readRun(tx: Tx, runId: string): Promise<RunRow | undefined> {
  const [run] = await tx.$queryRaw<RunRow[]>`
    SELECT "id", "tenantId", "workflowId", "workflowVersionId", "status", "resumptions" FROM "Run" WHERE id = ${runId}`;
  return run;
}

/** Locks the run and reads it. Serialises completions within a run, so exactly one of them sees the run finish. */
export async function lockRun(tx: Tx, runId: string): Promise<RunRow | undefined> {
  const [run] = await tx.$queryRaw<RunRow[]>`
    SELECT "id", "tenantId", "workflowId", "workflowVersionId", "status", "resumptions" FROM "Run" WHERE id = ${runId} FOR UPDATE`;
  return run;
}

async function markRunStarted(tx: Tx, run: { id: string; tenantId: string; status: string }): Promise<void> {
  if (run.status !== 'queued') return;
  const at = new Date();
  const started = await tx.run.updateMany({ where: { id: run.id, status: 'queued' }, data: { status: 'running', startedAt: at } });
  if (started.count === 1) await emitEvent(tx, { type: 'run.started', payload: { runId: run.id, tenantId: run.tenantId, at: at.toISOString() } });
}

function failureOf(err: unknown): Failure {
  if (err instanceof ExpressionError) return { class: 'ExpressionError', message: err.message };
  if (err instanceof HttpNodeError) return { class: err.errorClass, message: err.message, ...err.details };
  return { class: 'InternalError', message: (err as Error)?.message ?? String(err) };
}

async function execute(deps: EngineDeps, node: PlanNode, input: unknown, ctx: Record<string, unknown>, secrets: Record<string, string>, onLog?: (entry: LogEntry) => void): Promise<NodeOutcome> {
  try {
    switch (node.type) {
      case 'script': {
        return await runScriptNode(deps, node, input, ctx, onLog);
      }
      case 'transform':
        return { ok: true, output: await evaluate(String(node.expression), input, { bindings: { ctx }, timeoutMs: node.timeoutMs }), logs: [] };
      case 'split': {
        const found = await evaluate(String(node.items), input, { bindings: { ctx }, timeoutMs: node.timeoutMs });
        // JSONata gives "nothing" for no match and a bare value for a single one: both are lists here.
        const items = found === null ? [] : Array.isArray(found) ? found : [found];
        return { ok: true, output: items, logs: [] };
      }
      case 'delay':
        return { ok: true, output: input, logs: [] };
      case 'http': {
        const result = await runHttpNode(node as unknown as HttpNodeSpec, { input, ctx, secrets }, { allowPrivate: deps.egress?.allowPrivate ?? false, timeoutMs: node.timeoutMs ?? 30_000 });
        return { ok: true, output: result, logs: [] };
      }
      default:
        return { ok: false, error: { class: 'UnsupportedNode', message: `this data plane cannot run "${node.type}" nodes yet` }, logs: [] };
    }
  } catch (err) {
    return { ok: false, error: failureOf(err), logs: [] };
  }
}

/**
 * The messages a finished node sends on: one per outgoing edge whose `when` holds. A split
 * sends one per item and edge, each item carrying its place in the split (`branch`).
 */
async function routesFrom(plan: Plan, node: PlanNode, output: unknown, branch: BranchFrame[], messageId: string): Promise<Route[]> {
  const edges = plan.outgoing.get(node.id) ?? [];
  const payloads: { payload: unknown; branch: BranchFrame[] }[] =
    node.type === 'split'
      ? (output as unknown[]).map((item, index, all) => ({ payload: item, branch: [...branch, { split: node.id, group: messageId, index, count: all.length }] }))
      : [{ payload: output, branch }];
  const routes: Route[] = [];
  for (const { payload, branch: b } of payloads) {
    for (const edge of edges) {
      if (edge.when && !truthy(await evaluate(edge.when, payload))) continue;
      routes.push({ nodeId: edge.to, payload, branch: b });
    }
  }
  return routes;
}

async function createMessages(tx: Tx, run: { id: string; tenantId: string }, parentId: string, routes: Route[]): Promise<NodeJobData[]> {
  if (routes.length === 0) return [];
  const rows = routes.map((r) => ({ id: newId('msg'), runId: run.id, tenantId: run.tenantId, nodeId: r.nodeId, payload: json(r.payload), status: 'pending', parentId, branch: r.branch.length ? json(r.branch) : undefined }));
  await tx.message.createMany({ data: rows });
  return rows.map((m) => ({ messageId: m.id, runId: run.id, tenantId: run.tenantId }));
}

async function record(
  tx: Tx,
  r: { plan: Plan; node: PlanNode; messageId: string; runId: string; attempt: number; startedAt: Date; outcome: NodeOutcome; routes: Route[]; liveLogs?: boolean },
): Promise<Processed> {
  // The message's row is locked, so two deliveries of it cannot both record it. The run's row
  // is locked only when this may complete a join or the run (nothing sent on, or a failure):
  // a success that sends messages on cannot, so the items of a big split record side by side.
  const mayFinish = !r.outcome.ok || r.routes.length === 0;
  const run = mayFinish ? await lockRun(tx, r.runId) : await readRun(tx, r.runId);
  const [message] = await tx.$queryRaw<{ id: string; status: string; history: Prisma.JsonValue; branch: Prisma.JsonValue }[]>`
    SELECT "id", "status", "history", "branch" FROM "Message" WHERE "id" = ${r.messageId} FOR UPDATE`;
  // A script's live log lines go once its message is settled, in the same transaction: its
  // result or history holds them now (see live-logs.ts for why after the message's update).
  const liveLogs = r.liveLogs === true;
  if (!run || !message || SETTLED.includes(message.status)) {
    if (liveLogs && message) await dropLiveLogs(tx, message.id);
    return { next: [] }; // recorded by another delivery, or cancelled
  }
  const finishedAt = new Date();
  const at = finishedAt.toISOString();
  const base = { runId: run.id, tenantId: run.tenantId, at };
  const { outcome } = r;

  if (!outcome.ok) {
    const history = [...((message.history as unknown[] | null) ?? []), { attempt: r.attempt, error: outcome.error, logs: outcome.logs, startedAt: r.startedAt.toISOString(), finishedAt: at }];
    const delay = nextRetryDelay(r.node.retry, r.attempt, outcome.error.class);
    if (delay !== null) {
      // Honour a Retry-After the remote sent, if it asks for longer.
      const retryAfter = Number(outcome.error.retryAfter);
      const wait = Number.isFinite(retryAfter) && retryAfter * 1000 > delay ? Math.min(retryAfter * 1000, 3_600_000) : delay;
      const retryAt = new Date(Date.now() + wait);
      await tx.message.update({ where: { id: message.id }, data: { status: 'pending', availableAt: retryAt, history: json(history) } });
      if (liveLogs) await dropLiveLogs(tx, message.id);
      await emitEvent(tx, { type: 'node.status', payload: { ...base, nodeId: r.node.id, status: 'pending', attempt: r.attempt, errorClass: outcome.error.class } });
      return { next: [], retryAt };
    }
    // Retries exhausted: the message parks in the Trash with its payload and history, for an
    // operator to approve (re-inject here), edit then approve, or reject. The rest of the run
    // goes on; its result is recorded once a decision settles it.
    await tx.message.update({ where: { id: message.id }, data: { status: 'parked', history: json(history) } });
    if (liveLogs) await dropLiveLogs(tx, message.id);
    const trashItemId = newId('trash');
    await tx.trashItem.create({
      data: { id: trashItemId, tenantId: run.tenantId, runId: run.id, workflowId: run.workflowId, nodeId: r.node.id, messageId: message.id, status: 'parked', error: json(outcome.error), attempts: r.attempt },
    });
    await emitEvent(tx, { type: 'node.status', payload: { ...base, nodeId: r.node.id, status: 'failed', attempt: r.attempt, errorClass: outcome.error.class } });
    await emitEvent(tx, { type: 'trash.parked', payload: { ...base, trashItemId, workflowId: run.workflowId, nodeId: r.node.id, errorClass: outcome.error.class, attempts: r.attempt } });
    return { next: await settle(tx, r.plan, run) };
  }

  await tx.nodeResult.create({
    data: { messageId: message.id, runId: run.id, tenantId: run.tenantId, nodeId: r.node.id, status: 'succeeded', output: json(outcome.output), logs: json(outcome.logs), attempts: r.attempt, startedAt: r.startedAt, finishedAt },
  });
  await tx.message.update({ where: { id: message.id }, data: { status: 'done' } });
  if (liveLogs) await dropLiveLogs(tx, message.id);
  const next = await createMessages(tx, run, message.id, r.routes);
  if (r.node.type === 'split' && Array.isArray(outcome.output) && outcome.output.length === 0) {
    // Nothing to collect: each join of this split gets a marker, so it fires with [].
    const branch = branchOf(message.branch);
    for (const [joinId, source] of r.plan.joinSource) {
      if (source !== r.node.id) continue;
      await tx.message.create({
        data: {
          id: newId('msg'),
          runId: run.id,
          tenantId: run.tenantId,
          nodeId: joinId,
          payload: json(null),
          status: 'waiting',
          parentId: message.id,
          branch: json([...branch, { split: r.node.id, group: message.id, index: -1, count: 0 }]),
          joinKey: `${joinId}|${message.id}`,
        },
      });
    }
  }
  await emitEvent(tx, { type: 'node.status', payload: { ...base, nodeId: r.node.id, status: 'succeeded', attempt: r.attempt } });
  next.push(...(await settle(tx, r.plan, run, next.length)));
  return { next };
}

/**
 * After any change in a run: fires every join whose inputs are complete, then finishes the
 * run if nothing is left in flight. A join is complete when no message that could still
 * reach it is pending or running — within its split group for a split's join, anywhere in
 * the run for a join of predecessors. Items dropped on the way (a `when` that did not hold)
 * simply never arrive. Runs under the run lock.
 */
export async function settle(tx: Tx, plan: Plan, locked: RunRow | string, created = 0, arrivedAt?: string): Promise<NodeJobData[]> {
  const jobs: NodeJobData[] = [];
  const run = typeof locked === 'string' ? (await lockRun(tx, locked))! : locked;
  const runId = run.id;
  // A finished run starts nothing more (a failed one waits for its Trash items to be approved).
  if (TERMINAL_RUN.includes(run.status)) return jobs;
  // Messages just created are in flight: nothing can have completed a join or the run.
  if (created > 0) return jobs;
  if (plan.joinSource.size > 0) await tx.$executeRawUnsafe(JOIN_SCAN);
  for (let fired = plan.joinSource.size > 0, first = true; fired; first = false) {
    fired = false;
    // Which joins have inputs waiting, and for which group. A message arriving at a join can
    // only have completed its own (`arrivedAt`): the others are looked up only after one fires.
    const keys =
      first && arrivedAt
        ? [{ joinKey: arrivedAt }]
        : await tx.$queryRaw<{ joinKey: string }[]>`
            SELECT DISTINCT "joinKey" FROM "Message" WHERE "runId" = ${runId} AND "status" = 'waiting' AND "joinKey" IS NOT NULL AND "joinKey" NOT LIKE 'sub|%'`;
    for (const { joinKey } of keys) {
      const [joinId, group] = joinKey.split('|') as [string, string];
      // Still to come: a message on its way to the join, or already queued at it, in the group.
      if (await joinBlocked(inTx(tx), runId, [joinId, ...(plan.upstream.get(joinId) ?? [])], group)) continue;
      // Waiting at another join (or on a child run) upstream is still on its way here too.
      const waitingUpstream = (plan.upstream.get(joinId) ?? []).filter((id) => ['join', 'subworkflow'].includes(plan.nodes.get(id)!.type));
      if (waitingUpstream.length) {
        if (await joinBlocked(inTx(tx), runId, waitingUpstream, group, ['waiting'])) continue;
      }
      const arrived = await tx.message.findMany({ where: { runId, status: 'waiting', joinKey }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
      // Two last arrivals can both come to check (hot-path.ts arriveAtJoin): the first fired it.
      if (arrived.length === 0) continue;
      jobs.push(...(await fireJoin(tx, plan, run, joinId, group, arrived)));
      fired = true;
    }
  }

  // In flight: queued or running messages, and subworkflow nodes waiting on a child run.
  // Usually something is: an EXISTS answers that at the first row (the counts below scan the run).
  const [busy] = await tx.$queryRaw<{ busy: boolean }[]>`
    SELECT EXISTS (SELECT 1 FROM "Message" WHERE "runId" = ${runId} AND "status" IN ('pending', 'running')) AS "busy"`;
  if (busy!.busy) return jobs;
  // One query at a time: a transaction is one connection.
  const [counts] = await tx.$queryRaw<{ inFlight: number; joining: number; parked: number; failed: number }[]>`
    SELECT count(*) FILTER (WHERE "status" IN ('pending', 'running') OR ("status" = 'waiting' AND "joinKey" LIKE 'sub|%'))::int AS "inFlight",
           count(*) FILTER (WHERE "status" = 'waiting' AND "joinKey" NOT LIKE 'sub|%')::int AS "joining",
           count(*) FILTER (WHERE "status" = 'parked')::int AS "parked",
           count(*) FILTER (WHERE "status" = 'failed')::int AS "failed"
    FROM "Message" WHERE "runId" = ${runId}`;
  if (counts!.inFlight > 0) return jobs;
  const finishedAt = new Date();
  const at = finishedAt.toISOString();
  if (counts!.parked > 0 || counts!.failed > 0) {
    // Only Trash items hold it up (or decisions rejected them): the run has failed. Approving a
    // parked item reopens it; a parent run waits until none is left parked.
    const [item] = counts!.parked > 0
      ? await tx.trashItem.findMany({ where: { runId, status: 'parked' }, orderBy: { createdAt: 'asc' }, take: 1 })
      : await tx.trashItem.findMany({ where: { runId, status: 'rejected' }, orderBy: { createdAt: 'asc' }, take: 1 });
    const error = { ...((item?.error ?? { class: 'NodeFailed', message: 'a node failed' }) as Failure), nodeId: item?.nodeId, ...(item && counts!.parked > 0 ? { trashItemId: item.id } : {}) };
    await tx.run.update({ where: { id: runId }, data: { status: 'failed', finishedAt, error: json(error) } });
    await emitEvent(tx, { type: 'run.finished', payload: { runId, tenantId: run.tenantId, at, status: 'failed', errorClass: error.class, ...(item ? { errorNodeId: item.nodeId } : {}), resumption: run.resumptions } });
    if (counts!.parked === 0) jobs.push(...(await resumeParent(tx, runId, { ok: false, error: { class: 'SubworkflowFailed', message: `the subworkflow run ${runId} failed at node ${item?.nodeId}: ${error.class}` }, logs: [] })));
    return jobs;
  }
  if (counts!.joining > 0) return jobs;
  const output = await runOutput(tx, plan.document, runId);
  await tx.run.update({ where: { id: runId }, data: { status: 'succeeded', finishedAt, output: json(output) } });
  await emitEvent(tx, { type: 'run.finished', payload: { runId, tenantId: run.tenantId, at, status: 'succeeded', outputBytes: Buffer.byteLength(JSON.stringify(output ?? null)), resumption: run.resumptions } });
  jobs.push(...(await resumeParent(tx, runId, { ok: true, output, logs: [] })));
  return jobs;
}

async function fireJoin(
  tx: Tx,
  plan: Plan,
  run: { id: string; tenantId: string },
  joinId: string,
  group: string,
  arrived: { id: string; payload: unknown; branch: unknown; parentId: string | null; createdAt: Date }[],
): Promise<NodeJobData[]> {
  const source = plan.joinSource.get(joinId) ?? null;
  let ordered = arrived;
  if (source) {
    const indexOf = (m: (typeof arrived)[number]) => branchOf(m.branch).findLast((f) => f.group === group)?.index ?? 0;
    ordered = [...arrived].sort((a, b) => indexOf(a) - indexOf(b));
  } else {
    // Predecessors in document order, each one's arrivals in the order they came.
    const parents = await tx.message.findMany({ where: { id: { in: arrived.map((m) => m.parentId!).filter(Boolean) } }, select: { id: true, nodeId: true } });
    const nodeOf = new Map(parents.map((p) => [p.id, p.nodeId]));
    const rank = (m: (typeof arrived)[number]) => plan.order.indexOf(nodeOf.get(m.parentId ?? '') ?? '');
    ordered = [...arrived].sort((a, b) => rank(a) - rank(b));
  }
  // An empty split leaves one marker (index -1) so its join still fires, with no items.
  ordered = ordered.filter((m) => branchOf(m.branch).findLast((f) => f.group === group)?.index !== -1);
  const output = ordered.map((m) => m.payload);
  const carrier = ordered.at(-1) ?? arrived[0]!;
  const now = new Date();
  await tx.message.updateMany({ where: { id: { in: arrived.map((m) => m.id) } }, data: { status: 'done' } });
  await tx.nodeResult.create({
    data: { messageId: carrier.id, runId: run.id, tenantId: run.tenantId, nodeId: joinId, status: 'succeeded', output: json(output), logs: json([]), attempts: 1, startedAt: arrived[0]!.createdAt, finishedAt: now },
  });
  await emitEvent(tx, { type: 'node.status', payload: { runId: run.id, tenantId: run.tenantId, at: now.toISOString(), nodeId: joinId, status: 'succeeded', attempt: 1 } });
  // The join closes its split group: what follows carries the lineage outside it.
  const carrierBranch = branchOf(carrier.branch);
  const outer = source ? carrierBranch.slice(0, carrierBranch.findLastIndex((f) => f.group === group)) : carrierBranch;
  let routes: Route[];
  try {
    routes = await routesFrom(plan, plan.nodes.get(joinId)!, output, outer, carrier.id);
  } catch (err) {
    return failRun(tx, run, joinId, failureOf(err), now);
  }
  return createMessages(tx, run, carrier.id, routes);
}

/** Fails the run at a node: nothing else in it starts. */
async function failRun(tx: Tx, run: { id: string; tenantId: string }, nodeId: string, error: Failure, finishedAt: Date): Promise<NodeJobData[]> {
  await tx.message.updateMany({ where: { runId: run.id, status: { in: ['pending', 'running', 'waiting'] } }, data: { status: 'cancelled' } });
  const { resumptions } = await tx.run.update({ where: { id: run.id }, data: { status: 'failed', finishedAt, error: json({ ...error, nodeId }) } });
  await emitEvent(tx, { type: 'run.finished', payload: { runId: run.id, tenantId: run.tenantId, at: finishedAt.toISOString(), status: 'failed', errorClass: error.class, errorNodeId: nodeId, resumption: resumptions } });
  return resumeParent(tx, run.id, { ok: false, error: { class: 'SubworkflowFailed', message: `the subworkflow run ${run.id} failed at node ${nodeId}: ${error.class}` }, logs: [] });
}

/** A subworkflow node's message waits on its child run under this key. */
const childKey = (childRunId: string) => `sub|${childRunId}`;

/**
 * Starts the child run of a `subworkflow` node on this data plane. With an environment (the
 * node's, else the parent run's), the version of the tenant's workflow with that name deployed
 * there to this data plane; without one, its latest registered version. The parent message
 * waits for it.
 */
async function startChildRun(tx: Tx, node: PlanNode, message: { id: string; payload: unknown; runId: string }, run: { id: string; tenantId: string }): Promise<Processed> {
  const name = String(node.workflow);
  const { environment: parentEnvironment } = await tx.run.findUniqueOrThrow({ where: { id: run.id }, select: { environment: true } });
  const environment = typeof node.environment === 'string' ? node.environment : parentEnvironment;
  const [child] = environment
    ? await tx.$queryRaw<{ id: string; workflowId: string }[]>`
        SELECT v."id", v."workflowId" FROM "Deployment" d JOIN "WorkflowVersion" v ON v."id" = d."workflowVersionId"
        WHERE d."tenantId" = ${run.tenantId} AND d."environment" = ${environment} AND v."document"->>'name' = ${name} LIMIT 1`
    : await tx.$queryRaw<{ id: string; workflowId: string }[]>`
        SELECT v."id", v."workflowId" FROM "Webhook" h JOIN "WorkflowVersion" v ON v."id" = h."workflowVersionId"
        WHERE h."tenantId" = ${run.tenantId} AND v."document"->>'name' = ${name} LIMIT 1`;
  if (!child) {
    const where = environment ? `deployed to "${environment}" on this data plane` : 'registered on this data plane';
    const error = { class: 'InvalidInput', message: `no workflow named ${JSON.stringify(name)} is ${where}` };
    await tx.nodeResult.create({ data: { messageId: message.id, runId: run.id, tenantId: run.tenantId, nodeId: node.id, status: 'failed', error: json(error), logs: json([]), attempts: 1, startedAt: new Date(), finishedAt: new Date() } });
    await tx.message.update({ where: { id: message.id }, data: { status: 'failed' } });
    return { next: await failRun(tx, run, node.id, error, new Date()) };
  }
  const childRunId = newId('run');
  await emitEvent(tx, {
    type: 'run.created',
    payload: { runId: childRunId, tenantId: run.tenantId, at: new Date().toISOString(), workflowId: child.workflowId, workflowVersionId: child.id, trigger: 'subworkflow', inputBytes: Buffer.byteLength(JSON.stringify(message.payload ?? null)) },
  });
  const jobs = await createRun(tx, { runId: childRunId, tenantId: run.tenantId, workflowId: child.workflowId, workflowVersionId: child.id, input: message.payload, environment });
  await tx.message.update({ where: { id: message.id }, data: { status: 'waiting', joinKey: childKey(childRunId) } });
  return { next: jobs };
}

/** When a child run ends, its parent's subworkflow node records the result and moves on. */
export async function resumeParent(tx: Tx, childRunId: string, outcome: NodeOutcome): Promise<NodeJobData[]> {
  const parentMessage = await tx.message.findFirst({ where: { joinKey: childKey(childRunId), status: 'waiting' } });
  if (!parentMessage) return [];
  await lockRun(tx, parentMessage.runId);
  const parent = await tx.message.findUniqueOrThrow({ where: { id: parentMessage.id }, include: { run: true } });
  if (parent.status !== 'waiting' || TERMINAL_RUN.includes(parent.run.status)) return [];
  const plan = await loadPlan(tx, parent.run.workflowVersionId);
  const node = plan.nodes.get(parent.nodeId)!;
  let result = outcome;
  let routes: Route[] = [];
  if (outcome.ok) {
    try {
      routes = await routesFrom(plan, node, outcome.output, branchOf(parent.branch), parent.id);
    } catch (err) {
      result = { ok: false, error: failureOf(err), logs: [] };
    }
  }
  // Back to running so `record` treats it like any finished execution.
  await tx.message.update({ where: { id: parent.id }, data: { status: 'running', joinKey: null } });
  const { next } = await record(tx, { plan, node, messageId: parent.id, runId: parent.runId, attempt: Math.max(1, parent.attempts), startedAt: parent.updatedAt, outcome: result, routes });
  return next;
}

/** A run's output is what its sink nodes produced (hot-path.ts `runOutputOf`). */
async function runOutput(tx: Tx, document: WorkflowDocument, runId: string): Promise<unknown> {
  const results = await tx.nodeResult.findMany({
    where: { runId, status: 'succeeded', nodeId: { in: sinkNodes(document) } },
    orderBy: { finishedAt: 'asc' },
    select: { nodeId: true, output: true },
  });
  return runOutputOf(results);
}
