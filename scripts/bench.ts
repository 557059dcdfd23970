/**
 * `npm run bench`: how fast the engine moves messages, next to what BullMQ alone does on the
 * same machine, measured in the same run. Prints one JSON report on stdout (progress goes to
 * stderr). About 5 minutes at BENCH_SCALE=1 on 2 cores, about 1 minute at 0.1.
 *
 * What runs: raw BullMQ baselines in this process; then the control plane's HTTP apps (in
 * this process, test/support/control-plane.ts) and one real data-plane child process
 * (test/support/data-plane.ts), each on a fresh database, with unique Redis key prefixes.
 * Two tenants share the data plane: a quiet one and a noisy one. Workflows and runs are
 * created through the public API; timings come from the data plane's own database (see
 * scripts/lib/bench/phases.ts for exactly which column means what).
 *
 * Phases (in this order): baseline, pipeline, chain, trigger, split, noisy. The split/join run is
 * cancelled if it hits its cap (and the bench waits for the data plane's queue to empty), so it
 * does not run on under the noisy-neighbour phase; that one comes last, so by default the bench
 * does not wait for the flood to drain (BENCH_FLOOD_DRAIN=1 does, for the flood's own figures).
 *
 * `npm run bench` prints npm's own "> bench" banner on stdout too; for a clean JSON file use
 * `npm run -s bench > bench.json` (or `npx tsx scripts/bench.ts > bench.json`).
 *
 * The bench reports, it does not judge: missed targets are `met: false` in the report and the
 * exit status stays 0. It exits 1 when a phase crashed (the report then has its error), 130 on
 * Ctrl-C. Whatever happens, it stops the data plane, drops both databases and deletes the
 * Redis keys under its prefixes before it exits.
 *
 * Environment (all optional):
 *   TEST_DATABASE_URL         Postgres server to create the databases on
 *                             (default postgres://postgres@127.0.0.1:5432/postgres)
 *   TEST_REDIS_URL            Redis server (default redis://127.0.0.1:6379)
 *   BENCH_SCALE               multiplies every size below that scales (default 1; 0.1 = smoke run)
 *   BENCH_PHASES              comma-separated subset of the phases (default: all; the baseline always runs)
 *   BENCH_WORKER_CONCURRENCY  BullMQ worker concurrency, of the baseline and of the data plane
 *                             (passed as its WORKER_CONCURRENCY; default 8, the data plane's default)
 *   BENCH_API_CONCURRENCY     API calls in flight when starting many runs (default 32)
 *   BENCH_RAW_JOBS            baseline no-op jobs (default 5000 × scale)
 *   BENCH_RAW_CHAINS          baseline chains of 3 jobs at once, informational (default 300 × scale)
 *   BENCH_RAW_HOPS            baseline serial hops (default 200)
 *   BENCH_RAW_LATENCY_SAMPLES baseline add→process samples (default 200 × scale)
 *   BENCH_PIPELINE_RUNS       runs of the 3-node pipeline started at once (default 300 × scale)
 *   BENCH_PIPELINE_VIA        how the pipeline's runs are started: api, webhook or both (default "api,webhook";
 *                             webhook = on the data plane itself, without the control plane's command channel)
 *   BENCH_CHAIN_NODES         script nodes in the chain (default 40)
 *   BENCH_CHAIN_REPEATS       chain runs, one after another; the median is reported (default 3)
 *   BENCH_TRIGGER_RUNS        sequential runs for trigger → first node (default 50 × scale)
 *   BENCH_FLOOD_MESSAGES      node messages the noisy tenant puts in flight (default 50000 × scale)
 *   BENCH_FLOOD_RUNS          how many runs carry them, each split into BENCH_FLOOD_MESSAGES / runs − 1
 *                             items through one light node (default 100 × scale: few API calls, so
 *                             what is measured is the flood of messages, not of API requests)
 *   BENCH_FLOOD_STEP          that node: script | transform (default script)
 *   BENCH_FLOOD_DRAIN         1/true: wait for every flood run to finish (default: no, the cleanup stops it)
 *   BENCH_QUIET_SAMPLES       quiet tenant's runs, with and without the flood (default 40 × scale)
 *   BENCH_QUIET_INTERVAL_MS   one quiet run every this many ms, open loop (default 250)
 *   BENCH_SPLIT_ITEMS         items of the split/join run (default 10000 × scale)
 *   BENCH_SPLIT_STEP          node between split and join: script | transform | none (default script)
 *   BENCH_SPLIT_TIMEOUT_S     give up on the split/join run after this long, reported as a timeout (default 120)
 *   BENCH_WAIT_TIMEOUT_S      longest wait for any other phase's runs (default 240)
 */
import os from 'node:os';
import { Redis } from 'ioredis';
import pg from 'pg';
import { z } from 'zod';
import { createTestRedis } from '@orvanta/devstack/testing';
import { chainPhase, noisyPhase, pipelinePhase, splitPhase, triggerPhase } from './lib/bench/phases.ts';
import { startPlatform, type Platform } from './lib/bench/platform.ts';
import { measureRawBullmq, type RawBaseline } from './lib/bench/raw-bullmq.ts';
import { abort, Interrupted, progress, ratio, round, Timeout } from './lib/bench/util.ts';

process.env.TEST_DATABASE_URL ||= 'postgres://postgres@127.0.0.1:5432/postgres';
process.env.TEST_REDIS_URL ||= 'redis://127.0.0.1:6379';

// stdout carries the report only: anything else written there (library logs) goes to stderr.
const writeStdout = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;

const PHASES = ['baseline', 'pipeline', 'chain', 'trigger', 'split', 'noisy'] as const;
type Phase = (typeof PHASES)[number];

const num = (fallback: number) => z.coerce.number().positive().default(fallback);
/** A size that scales: unset means default × BENCH_SCALE. */
const scaled = z.coerce.number().positive().optional();
const env = z
  .object({
    BENCH_SCALE: num(1),
    BENCH_PHASES: z.string().optional(),
    BENCH_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
    BENCH_API_CONCURRENCY: z.coerce.number().int().min(1).max(512).default(32),
    BENCH_RAW_JOBS: scaled,
    BENCH_RAW_CHAINS: scaled,
    BENCH_RAW_HOPS: num(200),
    BENCH_RAW_LATENCY_SAMPLES: scaled,
    BENCH_PIPELINE_RUNS: scaled,
    BENCH_CHAIN_NODES: num(40),
    BENCH_CHAIN_REPEATS: num(3),
    BENCH_TRIGGER_RUNS: scaled,
    BENCH_FLOOD_RUNS: scaled,
    BENCH_FLOOD_MESSAGES: scaled,
    BENCH_FLOOD_STEP: z.enum(['script', 'transform']).default('script'),
    BENCH_FLOOD_DRAIN: z.enum(['true', 'false', '1', '0']).default('false').transform((v) => v === 'true' || v === '1'),
    BENCH_QUIET_SAMPLES: scaled,
    BENCH_QUIET_INTERVAL_MS: num(250),
    BENCH_SPLIT_ITEMS: scaled,
    BENCH_PIPELINE_VIA: z.string().default('api,webhook'),
    BENCH_SPLIT_STEP: z.enum(['script', 'transform', 'none']).default('script'),
    BENCH_SPLIT_TIMEOUT_S: num(120),
    BENCH_WAIT_TIMEOUT_S: num(240),
  })
  .parse(Object.fromEntries(Object.entries(process.env).filter(([k, v]) => k.startsWith('BENCH_') && v !== '')));

const scale = env.BENCH_SCALE;
/** An explicit size wins; otherwise the default times BENCH_SCALE, at least `min`. */
const sized = (explicit: number | undefined, base: number, min: number) => Math.round(explicit ?? Math.max(min, base * scale));
const config = {
  scale,
  workerConcurrency: env.BENCH_WORKER_CONCURRENCY,
  apiConcurrency: env.BENCH_API_CONCURRENCY,
  rawJobs: sized(env.BENCH_RAW_JOBS, 5000, 200),
  rawChains: sized(env.BENCH_RAW_CHAINS, 300, 20),
  rawHops: Math.round(env.BENCH_RAW_HOPS),
  rawLatencySamples: sized(env.BENCH_RAW_LATENCY_SAMPLES, 200, 30),
  pipelineRuns: sized(env.BENCH_PIPELINE_RUNS, 300, 20),
  pipelineVia: env.BENCH_PIPELINE_VIA.split(',').map((v) => z.enum(['api', 'webhook']).parse(v.trim())),
  chainNodes: Math.round(env.BENCH_CHAIN_NODES),
  chainRepeats: Math.round(env.BENCH_CHAIN_REPEATS),
  triggerRuns: sized(env.BENCH_TRIGGER_RUNS, 50, 10),
  floodRuns: sized(env.BENCH_FLOOD_RUNS, 100, 5),
  floodMessages: sized(env.BENCH_FLOOD_MESSAGES, 50_000, 500),
  floodStep: env.BENCH_FLOOD_STEP,
  floodDrain: env.BENCH_FLOOD_DRAIN,
  quietSamples: sized(env.BENCH_QUIET_SAMPLES, 40, 10),
  quietIntervalMs: Math.round(env.BENCH_QUIET_INTERVAL_MS),
  splitItems: sized(env.BENCH_SPLIT_ITEMS, 10_000, 100),
  splitStep: env.BENCH_SPLIT_STEP,
  splitTimeoutSec: env.BENCH_SPLIT_TIMEOUT_S,
  waitTimeoutSec: env.BENCH_WAIT_TIMEOUT_S,
};
const selected = new Set<Phase>(['baseline', ...(env.BENCH_PHASES ? (env.BENCH_PHASES.split(',').map((s) => s.trim()) as Phase[]) : PHASES)]);
for (const p of selected) if (!PHASES.includes(p)) throw new Error(`BENCH_PHASES: unknown phase "${p}" (known: ${PHASES.join(', ')})`);

// --- cleanup -----------------------------------------------------------------------------

const disposers: { what: string; fn: () => Promise<void> }[] = [];
/** Databases and Redis prefixes this run created, checked after cleanup. */
const created = { databases: [] as string[], redisPrefixes: [] as string[] };
let cleaning: Promise<void> | undefined;

function onDispose(what: string, fn: () => Promise<void>): void {
  disposers.push({ what, fn });
}

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const { what, fn } of disposers.reverse()) {
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('took over 30 s')), 30_000);
          fn().then(
            () => (clearTimeout(timer), resolve()),
            (err: unknown) => (clearTimeout(timer), reject(err)),
          );
        });
        progress(`cleaned up: ${what}`);
      } catch (err) {
        progress(`cleanup of ${what} failed: ${(err as Error).message}`);
      }
    }
  })();
  return cleaning;
}

/** After cleanup: are the databases gone and the Redis prefixes empty? */
async function verifyCleanup(): Promise<{ databasesLeft: string[]; redisKeysLeft: number }> {
  const result = { databasesLeft: [] as string[], redisKeysLeft: 0 };
  const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  try {
    await client.connect();
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname = ANY($1)', [created.databases]);
    result.databasesLeft = rows.map((r) => r.datname);
  } finally {
    await client.end().catch(() => undefined);
  }
  const redis = new Redis(process.env.TEST_REDIS_URL!, { maxRetriesPerRequest: 1 });
  try {
    for (const prefix of created.redisPrefixes) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        result.redisKeysLeft += keys.length;
        cursor = next;
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
  return result;
}

let signals = 0;
async function hardExit(code: number): Promise<never> {
  await cleanup();
  process.exit(code);
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (++signals === 1) {
      progress(`${sig}: stopping the bench and cleaning up (again to force)`);
      abort.abort();
      // If a phase does not notice promptly, clean up anyway.
      setTimeout(() => void hardExit(130), 20_000).unref();
    } else {
      void hardExit(130);
    }
  });
}
process.on('unhandledRejection', (err) => {
  progress(`unhandled rejection: ${(err as Error)?.stack ?? String(err)}`);
});

// --- report ------------------------------------------------------------------------------

interface Target {
  name: string;
  target: string;
  actual: number | null;
  met: boolean;
}

const target = (name: string, rule: string, actual: number | null | undefined, ok: (x: number) => boolean): Target => ({ name, target: rule, actual: actual ?? null, met: actual != null && Number.isFinite(actual) && ok(actual) });

async function machineInfo() {
  const info: Record<string, unknown> = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? null,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    memoryGiB: round(os.totalmem() / 1024 ** 3, 1),
    loadAverageAtStart: os.loadavg().map((x) => round(x, 2)),
  };
  const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  try {
    await client.connect();
    info.postgres = (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v;
  } catch (err) {
    info.postgres = `unreachable: ${(err as Error).message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
  const redis = new Redis(process.env.TEST_REDIS_URL!, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    info.redis = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1];
  } catch (err) {
    info.redis = `unreachable: ${(err as Error).message}`;
  } finally {
    redis.disconnect();
  }
  return info;
}

const describeError = (err: unknown) => (err instanceof Timeout ? `timeout: ${err.message}` : ((err as Error)?.stack ?? String(err)));

async function main(): Promise<number> {
  const t0 = Date.now();
  const report: Record<string, unknown> = { bench: 'orvanta engine vs raw BullMQ', startedAt: new Date(t0).toISOString(), config, machine: await machineInfo() };
  const errors: Record<string, string> = {};
  let interrupted = false;
  let raw: RawBaseline | undefined;
  let platform: Platform | undefined;
  const waitMs = config.waitTimeoutSec * 1000;

  const phase = async <T>(name: Phase | 'platform', body: () => Promise<T>): Promise<T | undefined> => {
    if (interrupted || (name !== 'platform' && !selected.has(name))) return undefined;
    try {
      return await body();
    } catch (err) {
      if (err instanceof Interrupted || abort.signal.aborted) {
        interrupted = true;
        return undefined;
      }
      errors[name] = describeError(err);
      progress(`${name} failed: ${errors[name]}`);
      return undefined;
    }
  };

  try {
    raw = await phase('baseline', async () => {
      const redis = await createTestRedis();
      created.redisPrefixes.push(redis.prefix);
      onDispose('baseline Redis keys', () => redis.stop());
      return measureRawBullmq({
        url: redis.url,
        prefix: redis.prefix,
        concurrency: config.workerConcurrency,
        timeoutMs: waitMs,
        jobs: config.rawJobs,
        chains: config.rawChains,
        chainHops: 3,
        hops: config.rawHops,
        latencySamples: config.rawLatencySamples,
      });
    });
    report.baseline = raw ?? null;

    if (PHASES.slice(1).some((p) => selected.has(p))) {
      progress('starting the control plane and a data plane (fresh databases)');
      // Not raced against a timeout: it stops at its next step on Ctrl-C, having registered what it created.
      platform = await phase('platform', () => startPlatform({ workerConcurrency: config.workerConcurrency, onDispose }));
      if (platform) {
        created.databases.push(platform.databases.controlPlane, platform.databases.dataPlane);
        const dpRedis = (platform.dp as { redis?: { prefix: string } }).redis;
        if (dpRedis) created.redisPrefixes.push(dpRedis.prefix);
        progress(`platform up: control plane ${platform.cp.url}, data plane ${platform.dp.url} (WORKER_CONCURRENCY=${config.workerConcurrency})`);
      }
    }

    if (platform) {
      const p = platform;
      const pipelines: Record<string, unknown> = {};
      for (const via of config.pipelineVia) {
        const pipeline = await phase('pipeline', () => pipelinePhase(p, { runs: config.pipelineRuns, via, apiConcurrency: config.apiConcurrency, timeoutMs: waitMs }));
        if (!pipeline) continue;
        const r = ratio(pipeline.stepsPerSec, raw?.throughput.jobsPerSec);
        pipelines[via] = {
          ...pipeline,
          ratioToRawJobsPerSec: r,
          target: target(`pipeline steps/s vs raw BullMQ jobs/s (runs started via ${via})`, '>= 0.5', r, (x) => x >= 0.5),
          measured: `steps = NodeResult rows of the runs; window = earliest NodeResult.startedAt → latest NodeResult.finishedAt (data-plane DB); runs started ${via === 'api' ? 'with POST /api/v1/workflows/{id}/runs' : "with POSTs to the workflow's webhook on the data plane"}, BENCH_API_CONCURRENCY calls in flight, after 2 warm-up runs (not counted)`,
        };
      }
      if (Object.keys(pipelines).length > 0) report.pipeline = pipelines;
      const chain = await phase('chain', () => chainPhase(p, { nodes: config.chainNodes, repeats: config.chainRepeats, timeoutMs: waitMs }));
      if (chain) {
        report.chain = {
          ...chain,
          ratioToRawSerialHop: ratio(chain.perNodeMs, raw?.serialHop.msPerHop),
          target: target('chain per-node time vs raw serial hop', '<= 3', ratio(chain.perNodeMs, raw?.serialHop.msPerHop), (x) => x <= 3),
          measured: "totalMs = first node's NodeResult.startedAt → last node's NodeResult.finishedAt (data-plane DB), median of the repeats after 1 warm-up run; perNodeMs = totalMs / nodes; apiToSucceededMs = just before the API call → Run.finishedAt",
        };
      }
      const trigger = await phase('trigger', () => triggerPhase(p, { runs: config.triggerRuns, timeoutMs: waitMs }));
      if (trigger) {
        const p50 = ratio(trigger.triggerToFirstNodeMs.p50, raw?.addToProcessMs.p50, 1);
        const p99 = ratio(trigger.triggerToFirstNodeMs.p99, raw?.addToProcessMs.p99, 1);
        report.triggerToFirstNode = {
          ...trigger,
          ratioP50ToRaw: p50,
          ratioP99ToRaw: p99,
          targets: [target('trigger→first node p50 vs raw add→process p50', '<= 2', p50, (x) => x <= 2), target('trigger→first node p99 vs raw add→process p99', '<= 3', p99, (x) => x <= 3)],
          measured:
            "Date.now() just before POST /api/v1/workflows/{id}/runs → the run's first NodeResult.startedAt (data-plane DB: set once the worker's claim transaction committed, before the node executes). One run at a time on an idle system, 1 script node, after 3 warm-up runs. p99 is nearest-rank (the maximum below 100 samples). breakdownMs: apiAnswer = the POST's round trip; triggerToAccepted = → Run.createdAt (the agent storing the run.start command); acceptedToFirstNode = Run.createdAt → first NodeResult.startedAt",
        };
      }
      const split = await phase('split', () => splitPhase(p, { items: config.splitItems, step: config.splitStep, capMs: config.splitTimeoutSec * 1000 }));
      if (split) {
        report.splitJoin = {
          ...split,
          measured:
            "One run: split → (per-item step) → join, the items in the run's input. elapsedSec = Run.startedAt → Run.finishedAt (data-plane DB); on timeout, → the moment the bench gave up, with itemsReached = item messages that had arrived at the join (Message rows of the join node, waiting or done); the run is then cancelled through the API and the bench waits for the data plane's queue to empty (afterTimeout). itemsProcessed = per-item step messages done.",
        };
      }
      const noisy = await phase('noisy', () => noisyPhase(p, { floodRuns: config.floodRuns, floodMessages: config.floodMessages, floodStep: config.floodStep, samples: config.quietSamples, intervalMs: config.quietIntervalMs, apiConcurrency: config.apiConcurrency, timeoutMs: waitMs, drain: config.floodDrain }));
      if (noisy) {
        report.noisyNeighbour = {
          ...noisy,
          target: target("quiet tenant's trigger→first node p99, with flood / without", '<= 2', noisy.p99Ratio, (x) => x <= 2),
          measured:
            "Quiet tenant (bench-bystander: a tenant of its own that ran nothing before this phase): one run of a 1-node script workflow every BENCH_QUIET_INTERVAL_MS (open loop: not waiting for earlier ones), trigger→first node measured as in triggerToFirstNode. Without: on an idle system. With: the noisy tenant (same data plane) starts BENCH_FLOOD_RUNS runs through the API as fast as BENCH_API_CONCURRENCY allows, each splitting into items through one light node, BENCH_FLOOD_MESSAGES messages in all; the quiet samples begin once a tenth of the flood's messages are stored on the data plane; samplesWhileFloodInFlight says how many were fired before the flood's last run finished. Samples still not started at the deadline count with the time waited (lower bound). breakdownMs as in triggerToFirstNode.",
        };
      }
    }
  } finally {
    report.targets = [
      ...Object.values((report.pipeline ?? {}) as Record<string, { target?: Target }>).map((x) => x.target),
      (report.chain as { target?: Target } | undefined)?.target,
      ...((report.triggerToFirstNode as { targets?: Target[] } | undefined)?.targets ?? []),
      (report.noisyNeighbour as { target?: Target } | undefined)?.target,
    ].filter(Boolean);
    (report.machine as Record<string, unknown>).loadAverageAtEnd = os.loadavg().map((x) => round(x, 2));
    report.durationSec = round((Date.now() - t0) / 1000, 1);
    progress('cleaning up');
    await cleanup();
    report.cleanup = await verifyCleanup().catch((err: unknown) => ({ error: (err as Error).message }));
    if (Object.keys(errors).length > 0) report.errors = errors;
    if (interrupted) report.interrupted = true;
    writeStdout(`${JSON.stringify(report, null, 2)}\n`);
  }
  if (interrupted) return 130;
  return Object.keys(errors).length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    progress(`bench crashed: ${describeError(err)}`);
    await cleanup();
    process.exit(1);
  },
);
