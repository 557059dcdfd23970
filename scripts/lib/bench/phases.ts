/**
 * The measurements on the real system. Every time is taken from the data plane's own
 * database where the engine records it (clocks: one host, so the bench's Date.now() and the
 * data plane's timestamps compare directly, at millisecond resolution):
 *
 * - NodeResult.startedAt: the worker has claimed the message (its claim transaction
 *   committed) and is about to load upstream outputs and execute the node.
 * - NodeResult.finishedAt: the node's result is about to be recorded (its record
 *   transaction has not committed yet).
 * - Run.createdAt: the data plane stored the run (the agent applying the run.start command).
 * - Run.startedAt / Run.finishedAt: set by the engine when the first message is claimed /
 *   when nothing of the run is left in flight.
 */
import {
  benchQueries,
  chainDocument,
  createWorkflow,
  createWorkflowWithLinks,
  messageCounts,
  runCounts,
  runTimings,
  script,
  startRun,
  startRunByWebhook,
  startRuns,
  waitForRuns,
  waitForWebhook,
  workflowMessages,
  workflowWindow,
  type Api,
  type Platform,
  type RunTiming,
  type Started,
} from './platform.ts';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { perUnit, type ResourceUse } from './resources.ts';
import { checkAbort, median, pool, progress, round, sleep, summarize, type Summary } from './util.ts';

type Resources = ResourceUse & { per: ReturnType<typeof perUnit>; perWhat: string; benchQueriesOnDataPlaneDb: number };

/** Measures what `body` costs in CPU and database work; `units` (from its result) for the per-unit figures. */
async function metered<T>(p: Platform, perWhat: string, body: () => Promise<T>, units: (result: T) => number): Promise<T & { resources: Resources }> {
  const before = await p.meter.sample();
  const ownBefore = benchQueries();
  const result = await body();
  const use = p.meter.diff(before, await p.meter.sample(true));
  return { ...result, resources: { ...use, perWhat, per: perUnit(use, units(result)), benchQueriesOnDataPlaneDb: benchQueries() - ownBefore } };
}

const TERMINAL = ['succeeded', 'failed', 'cancelled'];

/** Polls the data plane until each run has finished (or the deadline); returns the last timings. */
async function waitForTimings(p: Platform, runIds: string[], timeoutMs: number, done: (t: RunTiming | undefined) => boolean, pollMs = 20): Promise<Map<string, RunTiming>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const timings = await runTimings(p.db, runIds);
    if (runIds.every((id) => done(timings.get(id))) || Date.now() > deadline) return timings;
    await sleep(pollMs);
  }
}

const finished = (t: RunTiming | undefined) => !!t && TERMINAL.includes(t.status ?? '');
const firstNodeStarted = (t: RunTiming | undefined) => !!t && t.firstNodeStartedAt !== null;

// ---------------------------------------------------------------------------------------

export interface PipelineResult {
  /** How the runs were started: the public API (through the control plane's command channel) or the workflow's webhook on the data plane (no control plane on the way in). */
  startedVia: 'api' | 'webhook';
  runs: number;
  nodesPerRun: number;
  succeeded: number;
  failed: number;
  timedOut: boolean;
  steps: number;
  /** NodeResult window: first node start → last node finish, over all the runs. */
  windowSec: number;
  stepsPerSec: number;
  /** Every message here is one node execution, so messages/s = steps/s. */
  messagesPerSec: number;
  runsPerSec: number;
  /** First start call → last run finished (Run.finishedAt). */
  endToEndSec: number;
  /**
   * How fast runs got onto the data plane: the start calls took `callsSec`; the data plane stored
   * them (Run.createdAt) over `acceptSpanSec`. `tailAfterLastAcceptedSec`: last run stored → last
   * node finished; near 0 means the engine kept up with intake, i.e. intake set the pace.
   */
  ingest: { callsSec: number; acceptSpanSec: number; runsPerSec: number; tailAfterLastAcceptedSec: number };
}

export async function pipelinePhase(p: Platform, o: { runs: number; via: 'api' | 'webhook'; apiConcurrency: number; timeoutMs: number }) {
  const { api } = p.noisy;
  const wf = await createWorkflowWithLinks(api, { name: `bench-pipeline-${o.via}`, nodes: [script('a'), script('b'), script('c')], edges: [{ from: 'a', to: 'b' }, { from: 'b', to: 'c' }] });
  let start: (i: number) => Promise<Started>;
  if (o.via === 'webhook') {
    if (!wf.webhook) throw new Error('the API gave the workflow no webhook link');
    await waitForWebhook(p.db, wf.id, 30_000);
    const url = wf.webhook;
    start = (i) => startRunByWebhook(url, { i });
  } else {
    start = (i) => startRun(api, wf.id, { i });
  }
  for (let i = 0; i < 2; i++) {
    const s = await start(-1 - i);
    await waitForTimings(p, [s.runId], 60_000, finished);
  }
  progress(`pipeline (${o.via}): starting ${o.runs} runs of a 3-node script pipeline (${o.apiConcurrency} calls in flight)`);
  return metered(
    p,
    'step',
    async (): Promise<PipelineResult> => {
      const t0 = Date.now();
      let posted = 0;
      await pool(o.runs, o.apiConcurrency, async (i) => {
        await start(i);
        if (++posted % Math.max(1, Math.round(o.runs / 4)) === 0 && posted < o.runs) progress(`pipeline (${o.via}): ${posted}/${o.runs} runs started`);
      });
      const callsSec = (Date.now() - t0) / 1000;
      // Runs accepted from t0 on: the warm-up runs (same workflow, accepted earlier) are left out.
      const counts = await waitForRuns(p.db, wf.id, o.runs, o.timeoutMs, `pipeline (${o.via})`, t0);
      const w = await workflowWindow(p.db, wf.id, t0);
      const windowSec = (w.lastNodeFinish! - w.firstNodeStart!) / 1000;
      const stepsPerSec = w.nodeResults / windowSec;
      const acceptSpanSec = (w.lastAccepted! - w.firstAccepted!) / 1000;
      const result: PipelineResult = {
        startedVia: o.via,
        runs: o.runs,
        nodesPerRun: 3,
        succeeded: counts.succeeded,
        failed: counts.failed,
        timedOut: counts.timedOut,
        steps: w.nodeResults,
        windowSec: round(windowSec, 3),
        stepsPerSec: round(stepsPerSec, 1),
        messagesPerSec: round(stepsPerSec, 1),
        runsPerSec: round(w.nodeResults / 3 / windowSec, 1),
        endToEndSec: round(((w.lastRunFinish ?? Date.now()) - t0) / 1000, 3),
        ingest: { callsSec: round(callsSec, 3), acceptSpanSec: round(acceptSpanSec, 3), runsPerSec: round(o.runs / Math.max(0.001, acceptSpanSec), 1), tailAfterLastAcceptedSec: round((w.lastNodeFinish! - w.lastAccepted!) / 1000, 3) },
      };
      progress(`pipeline (${o.via}): ${result.stepsPerSec} steps/s over ${result.windowSec} s (${result.succeeded} runs succeeded, ${result.failed} failed; runs stored at ${result.ingest.runsPerSec}/s)`);
      return result;
    },
    (r) => r.steps,
  );
}

/** A few runs first, so plans are cached and sandboxes warm; they are left out of the figures. */
async function warmUp(p: Platform, api: Api, workflowId: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const s = await startRun(api, workflowId, { warmUp: i });
    await waitForTimings(p, [s.runId], 60_000, finished);
  }
}

// ---------------------------------------------------------------------------------------

export interface ChainResult {
  nodes: number;
  repeats: number;
  /** Median over the repeats of: first node's NodeResult.startedAt → last node's NodeResult.finishedAt. */
  totalMs: number;
  perNodeMs: number;
  /** Median of: just before the API call → Run.finishedAt on the data plane. */
  apiToSucceededMs: number;
  samples: { totalMs: number; apiToSucceededMs: number; status: string | null }[];
}

export async function chainPhase(p: Platform, o: { nodes: number; repeats: number; timeoutMs: number }) {
  const { api } = p.quiet;
  const wf = await createWorkflow(api, chainDocument('bench-chain', o.nodes));
  await warmUp(p, api, wf, 1);
  return metered(p, 'node execution', () => chainRuns(p, api, wf, o), (r) => r.nodes * r.repeats);
}

async function chainRuns(p: Platform, api: Api, wf: string, o: { nodes: number; repeats: number; timeoutMs: number }): Promise<ChainResult> {
  const samples: ChainResult['samples'] = [];
  for (let i = 0; i < o.repeats; i++) {
    const s = await startRun(api, wf, { n: 0 });
    // Polled slowly: the figures come from the database, and polling would show in its statistics.
    const t = (await waitForTimings(p, [s.runId], o.timeoutMs, finished, 100)).get(s.runId);
    if (!t || !finished(t)) throw new Error(`chain run ${s.runId} did not finish within ${o.timeoutMs / 1000} s`);
    samples.push({ totalMs: t.lastNodeFinishedAt! - t.firstNodeStartedAt!, apiToSucceededMs: t.finishedAt! - s.t0, status: t.status });
    progress(`chain: ${o.nodes} nodes in ${samples.at(-1)!.totalMs} ms (${t.status})`);
    await sleep(200);
  }
  const totalMs = median(samples.map((s) => s.totalMs));
  return { nodes: o.nodes, repeats: o.repeats, totalMs, perNodeMs: round(totalMs / o.nodes, 2), apiToSucceededMs: median(samples.map((s) => s.apiToSucceededMs)), samples };
}

// ---------------------------------------------------------------------------------------

export interface LatencyResult {
  runs: number;
  /** Just before POST /api/v1/workflows/{id}/runs → the run's first NodeResult.startedAt. */
  triggerToFirstNodeMs: Summary;
  /** Where the time goes (p50/p99 of each leg): the API answering, the data plane storing the run, then the queue and claim. */
  breakdownMs: { apiAnswer: Summary; triggerToAccepted: Summary; acceptedToFirstNode: Summary };
  /** Samples whose first node had not started by the deadline; they count in the figures with the time waited so far (a lower bound). */
  notStarted: number;
}

function latencies(started: Started[], timings: Map<string, RunTiming>, now: number): LatencyResult {
  const total: number[] = [];
  const api: number[] = [];
  const toAccepted: number[] = [];
  const toFirst: number[] = [];
  let notStarted = 0;
  for (const s of started) {
    const t = timings.get(s.runId);
    api.push(s.answeredAt - s.t0);
    if (t?.acceptedAt != null) toAccepted.push(t.acceptedAt - s.t0);
    if (t?.firstNodeStartedAt != null) {
      total.push(t.firstNodeStartedAt - s.t0);
      if (t.acceptedAt != null) toFirst.push(t.firstNodeStartedAt - t.acceptedAt);
    } else {
      notStarted++;
      total.push(now - s.t0);
    }
  }
  return { runs: started.length, triggerToFirstNodeMs: summarize(total, 1), breakdownMs: { apiAnswer: summarize(api, 1), triggerToAccepted: summarize(toAccepted, 1), acceptedToFirstNode: summarize(toFirst, 1) }, notStarted };
}

const oneNode = (name: string) => ({ name, nodes: [script('only')] });

/** Sequential runs on an otherwise idle system: each one is started after the previous one finished. */
export async function triggerPhase(p: Platform, o: { runs: number; timeoutMs: number }) {
  const { api } = p.quiet;
  const wf = await createWorkflow(api, oneNode('bench-trigger'));
  await warmUp(p, api, wf, 3);
  return metered(p, 'run', () => sequentialTriggers(p, api, wf, o), (r) => r.runs);
}

async function sequentialTriggers(p: Platform, api: Api, wf: string, o: { runs: number; timeoutMs: number }): Promise<LatencyResult> {
  const started: Started[] = [];
  const timings = new Map<string, RunTiming>();
  for (let i = 0; i < o.runs; i++) {
    const s = await startRun(api, wf, { i });
    started.push(s);
    const t = (await waitForTimings(p, [s.runId], o.timeoutMs, finished, 25)).get(s.runId);
    if (t) timings.set(s.runId, t);
    // Idle again: the agent back in its long-poll, the worker blocked on an empty queue.
    await sleep(50 + Math.random() * 50);
  }
  const result = latencies(started, timings, Date.now());
  progress(`trigger→first node: p50 ${result.triggerToFirstNodeMs.p50} ms, p99 ${result.triggerToFirstNodeMs.p99} ms over ${o.runs} runs`);
  return result;
}

// ---------------------------------------------------------------------------------------

/** Open loop: one run every `intervalMs` whatever happens to the earlier ones, then waits for their first nodes. */
async function quietSamples(p: Platform, api: Api, workflowId: string, o: { samples: number; intervalMs: number; timeoutMs: number }): Promise<LatencyResult & { started: Started[] }> {
  const start = Date.now();
  const fired: Promise<Started>[] = [];
  for (let i = 0; i < o.samples; i++) {
    const wait = start + i * o.intervalMs - Date.now();
    if (wait > 0) await sleep(wait);
    const attempt = startRun(api, workflowId, { i });
    attempt.catch(() => undefined); // awaited below
    fired.push(attempt);
  }
  const started = await Promise.all(fired);
  const timings = await waitForTimings(
    p,
    started.map((s) => s.runId),
    o.timeoutMs,
    firstNodeStarted,
    50,
  );
  return { ...latencies(started, timings, Date.now()), started };
}

export interface NoisyResult {
  quiet: { samples: number; intervalMs: number; workflow: string };
  flood: {
    runs: number;
    /** Each flood run: one split message, then one message per item through `perItemStep`. */
    itemsPerRun: number;
    perItemStep: 'script' | 'transform';
    /** Node messages the flood puts in flight: runs × (1 + itemsPerRun). */
    messages: number;
    /** All flood API calls answered, from the first one. */
    apiSec: number;
    /** Whether every flood run had finished when the phase ended (BENCH_FLOOD_DRAIN waits for that). */
    drained: boolean;
    runsFinished: number;
    /** Flood messages still pending or running when the quiet samples had all started (out of `messages`). */
    messagesPendingAfterQuietSamples: number;
    /** First flood API call → last flood run finished (null unless drained). */
    drainSec: number | null;
    /** Flood node executions / (first flood node start → last finish, or now). */
    stepsPerSec: number;
    timedOut: boolean;
  };
  withoutFlood: LatencyResult;
  withFlood: LatencyResult & { samplesWhileFloodInFlight: number };
  /** withFlood p99 / withoutFlood p99 of trigger → first node. */
  p99Ratio: number | null;
  /** From the flood's first API call until the phase ended (the quiet samples included). */
  floodResources: Resources;
}

export async function noisyPhase(
  p: Platform,
  o: { floodRuns: number; floodMessages: number; floodStep: 'script' | 'transform'; samples: number; intervalMs: number; apiConcurrency: number; timeoutMs: number; drain: boolean },
): Promise<NoisyResult> {
  const quiet = p.bystander.api;
  const quietWf = await createWorkflow(quiet, oneNode('bench-quiet'));
  // The flood: runs that each split into many items through one light node, so a few API
  // calls put BENCH_FLOOD_MESSAGES messages in flight (a tenant's API rate limit does not stop
  // that), and the runs' start commands still pile up in the command channel.
  const itemsPerRun = Math.max(1, Math.round(o.floodMessages / o.floodRuns) - 1);
  const step = o.floodStep === 'script' ? script('work') : { id: 'work', type: 'transform', expression: '$' };
  const floodWf = await createWorkflow(p.noisy.api, { name: 'bench-flood', nodes: [{ id: 'items', type: 'split', items: 'items' }, step], edges: [{ from: 'items', to: 'work' }] });
  const items = Array.from({ length: itemsPerRun }, (_, i) => i);
  await warmUp(p, quiet, quietWf, 2);
  await warmUp(p, p.noisy.api, floodWf, 1);
  const messages = o.floodRuns * (1 + itemsPerRun);

  progress(`noisy neighbour: quiet tenant alone, ${o.samples} runs one every ${o.intervalMs} ms`);
  const { started: _alone, ...without } = await quietSamples(p, quiet, quietWf, { ...o, timeoutMs: 60_000 });
  progress(`noisy neighbour: alone p50 ${without.triggerToFirstNodeMs.p50} ms, p99 ${without.triggerToFirstNodeMs.p99} ms`);
  await sleep(500);

  progress(`noisy neighbour: noisy tenant starts ${o.floodRuns} runs, each split into ${itemsPerRun} items (${o.floodStep}): ${messages} messages (${o.apiConcurrency} API calls in flight)`);
  const before = await p.meter.sample();
  const ownBefore = benchQueries();
  const floodT0 = Date.now();
  const flood = startRuns(p.noisy.api, floodWf, o.floodRuns, o.apiConcurrency, () => ({ items }), 'flood');
  let floodError: unknown;
  flood.catch((err) => (floodError = err));
  // The quiet tenant starts once the flood has reached the data plane (a tenth of its messages stored there).
  const underway = Math.max(1, Math.round(messages / 10));
  for (;;) {
    checkAbort();
    if (floodError) throw floodError;
    if ((await workflowMessages(p.db, floodWf, floodT0)).total >= underway) break;
    if (Date.now() - floodT0 > o.timeoutMs) throw new Error('the flood never reached the data plane');
    await sleep(100);
  }
  progress('noisy neighbour: flood underway; quiet tenant sampling again');
  const { started, ...withFlood } = await quietSamples(p, quiet, quietWf, { ...o, timeoutMs: o.timeoutMs });
  const pendingAfter = (await workflowMessages(p.db, floodWf, floodT0)).pending;
  progress(`noisy neighbour: with flood p50 ${withFlood.triggerToFirstNodeMs.p50} ms, p99 ${withFlood.triggerToFirstNodeMs.p99} ms (${pendingAfter} flood messages still pending)`);
  await flood;
  const apiSec = (Date.now() - floodT0) / 1000;
  // Without `drain`, the flood is left to the cleanup: this is the last phase, and the figures above do not need its end.
  const counts = o.drain ? await waitForRuns(p.db, floodWf, o.floodRuns, o.timeoutMs, 'flood', floodT0) : { ...(await runCounts(p.db, floodWf, floodT0)), timedOut: false };
  const drained = counts.finished >= o.floodRuns;
  const w = await workflowWindow(p.db, floodWf, floodT0);
  const floodEnd = drained ? w.lastRunFinish! : Date.now();
  const use = p.meter.diff(before, await p.meter.sample(true));
  const result: NoisyResult = {
    quiet: { samples: o.samples, intervalMs: o.intervalMs, workflow: '1 script node' },
    flood: {
      runs: o.floodRuns,
      itemsPerRun,
      perItemStep: o.floodStep,
      messages,
      apiSec: round(apiSec, 2),
      drained,
      runsFinished: counts.finished,
      messagesPendingAfterQuietSamples: pendingAfter,
      drainSec: drained ? round((floodEnd - floodT0) / 1000, 2) : null,
      stepsPerSec: round(w.nodeResults / Math.max(0.001, ((drained ? w.lastNodeFinish! : Date.now()) - (w.firstNodeStart ?? floodT0)) / 1000), 1),
      timedOut: counts.timedOut,
    },
    withoutFlood: without,
    // Fired while the flood still had runs in flight (its last run had not finished yet).
    withFlood: { ...withFlood, samplesWhileFloodInFlight: started.filter((s) => s.t0 < floodEnd).length },
    p99Ratio: without.triggerToFirstNodeMs.p99 > 0 ? round(withFlood.triggerToFirstNodeMs.p99 / without.triggerToFirstNodeMs.p99, 2) : null,
    floodResources: { ...use, perWhat: 'flood step', per: perUnit(use, w.nodeResults), benchQueriesOnDataPlaneDb: benchQueries() - ownBefore },
  };
  progress(`noisy neighbour: flood ${drained ? `drained in ${result.flood.drainSec} s` : `${counts.finished}/${o.floodRuns} runs finished (not waiting for the rest)`}; p99 ratio ${result.p99Ratio}`);
  return result;
}
// ---------------------------------------------------------------------------------------

export interface SplitResult {
  items: number;
  /** The node between split and join, run once per item ("none": split straight into join). */
  perItemStep: 'script' | 'transform' | 'none';
  status: 'succeeded' | 'failed' | 'timeout';
  /** Run.startedAt → Run.finishedAt, or → the moment the bench gave up. */
  elapsedSec: number;
  /** Items that reached the join (all of them when the run succeeded). */
  itemsReached: number;
  itemsPerSec: number;
  /** Items the per-item step had finished. */
  itemsProcessed: number;
  /** Just before the API call → Run.finishedAt (null on timeout). */
  apiToFinishedSec: number | null;
  capSec: number;
  runId: string;
  /** After a timeout the run is cancelled through the API and the bench waits for the data plane's queue to empty. */
  afterTimeout?: { cancelled: boolean; settleSec: number; queueDepthAtCancel: number | null; queueDepthLeft: number | null };
}

export async function splitPhase(p: Platform, o: { items: number; step: 'script' | 'transform' | 'none'; capMs: number }) {
  const { api } = p.quiet;
  const step = o.step === 'script' ? [script('work')] : o.step === 'transform' ? [{ id: 'work', type: 'transform', expression: '$' }] : [];
  const edges = o.step === 'none' ? [{ from: 'items', to: 'all' }] : [{ from: 'items', to: 'work' }, { from: 'work', to: 'all' }];
  const wf = await createWorkflow(api, { name: 'bench-split', nodes: [{ id: 'items', type: 'split', items: 'items' }, ...step, { id: 'all', type: 'join' }], edges });
  progress(`split/join: one message into ${o.items} items (per-item step: ${o.step}), capped at ${o.capMs / 1000} s`);
  const result = await metered(p, 'item that reached the join', () => splitRun(p, api, wf, o), (r) => r.itemsReached);
  if (result.status === 'timeout') {
    // Stop it, so what is left of it does not run on under the next phase.
    const t0 = Date.now();
    const res = await api('POST', `/api/v1/runs/${result.runId}/cancel`);
    if (res.status !== 202) progress(`split/join: cancelling the run answered ${res.status}`);
    await waitForTimings(p, [result.runId], 60_000, finished, 200);
    const depth = await waitForIdleQueue(p, 120_000);
    result.afterTimeout = { cancelled: true, settleSec: round((Date.now() - t0) / 1000, 1), queueDepthAtCancel: depth.first, queueDepthLeft: depth.left };
    progress(`split/join: run cancelled; data plane idle again after ${result.afterTimeout.settleSec} s`);
  }
  return result;
}

/** Waits until the data plane's node queue is empty; returns its depth at first and at the end (null when the queue cannot be read). */
async function waitForIdleQueue(p: Platform, timeoutMs: number): Promise<{ first: number | null; left: number | null }> {
  const redis = (p.dp as { redis?: { url: string; prefix: string } }).redis;
  if (!redis) {
    await sleep(10_000);
    return { first: null, left: null };
  }
  // The engine's queue (services/dataplane/src/engine/queue.ts: NODE_QUEUE).
  const connection = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  const queue = new Queue('nodes', { connection, prefix: redis.prefix });
  try {
    const deadline = Date.now() + timeoutMs;
    let first: number | null = null;
    for (;;) {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      const depth = Object.values(counts).reduce((a, b) => a + b, 0);
      first ??= depth;
      if (depth === 0 || Date.now() > deadline) return { first, left: depth };
      await sleep(500);
    }
  } finally {
    await queue.close().catch(() => undefined);
    connection.disconnect();
  }
}

async function splitRun(p: Platform, api: Api, wf: string, o: { items: number; step: 'script' | 'transform' | 'none'; capMs: number }): Promise<SplitResult> {
  const s = await startRun(api, wf, { items: Array.from({ length: o.items }, (_, i) => i) });
  let lastReport = 0;
  for (;;) {
    const t = (await runTimings(p.db, [s.runId])).get(s.runId);
    const begun = t?.startedAt ?? s.t0;
    const done = finished(t);
    const overdue = Date.now() - begun > o.capMs;
    if (done || overdue || Date.now() - lastReport > 5000) {
      const counts = await messageCounts(p.db, s.runId);
      const reached = done && t!.status === 'succeeded' ? o.items : (counts['all:waiting'] ?? 0) + (counts['all:done'] ?? 0);
      const processed = o.step === 'none' ? reached : (counts['work:done'] ?? 0);
      if (done || overdue) {
        const end = done ? t!.finishedAt! : Date.now();
        const elapsedSec = (end - begun) / 1000;
        const result: SplitResult = {
          items: o.items,
          perItemStep: o.step,
          status: done ? (t!.status === 'succeeded' ? 'succeeded' : 'failed') : 'timeout',
          elapsedSec: round(elapsedSec, 2),
          itemsReached: reached,
          itemsPerSec: round(reached / Math.max(0.001, elapsedSec), 1),
          itemsProcessed: processed,
          apiToFinishedSec: done ? round((t!.finishedAt! - s.t0) / 1000, 2) : null,
          capSec: o.capMs / 1000,
          runId: s.runId,
        };
        progress(`split/join: ${result.status}: ${reached}/${o.items} items at the join in ${result.elapsedSec} s (${result.itemsPerSec} items/s)`);
        return result;
      }
      progress(`split/join: ${processed} items processed, ${reached}/${o.items} at the join after ${((Date.now() - begun) / 1000).toFixed(0)} s`);
      lastReport = Date.now();
    }
    await sleep(500);
  }
}
