/**
 * The baseline: BullMQ alone, on the same Redis, with the job options the engine uses
 * (services/dataplane/src/engine/queue.ts: job id, 25 attempts with backoff, removeOnComplete,
 * removeOnFail 1000) and its worker options (worker.ts: lock 10 s, stalled check 5 s), copied
 * here rather than imported so the bench keeps working while the engine changes. Processors
 * do nothing but what each figure needs. The worker runs in the bench process, which is idle
 * otherwise while these run (the platform is started afterwards).
 */
import { performance } from 'node:perf_hooks';
import { Queue, Worker, type JobsOptions, type Processor } from 'bullmq';
import { Redis } from 'ioredis';
import { progress, round, sleep, summarize, within, type Summary } from './util.ts';

const JOB_OPTS: JobsOptions = { attempts: 25, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: true, removeOnFail: { count: 1000 } };
const WORKER_OPTS = { lockDuration: 10_000, stalledInterval: 5_000 };

export interface RawBaseline {
  workerConcurrency: number;
  /** No-op jobs through one queue: `jobs` added in bulk while the worker drains them; first add to last completion. */
  throughput: { jobs: number; seconds: number; jobsPerSec: number };
  /** Informational: `chains` chains of `hops` jobs at once, each job adding the next from its processor (what a pipeline does). */
  chainedThroughput: { chains: number; hops: number; jobs: number; seconds: number; jobsPerSec: number };
  /** One job at a time, each processor adding the next: (last processor start − first add) / hops. */
  serialHop: { hops: number; totalMs: number; msPerHop: number };
  /** Sequential single jobs on an idle worker: processor start − just before queue.add(). */
  addToProcessMs: Summary;
}

interface Ctx {
  url: string;
  prefix: string;
  concurrency: number;
  timeoutMs: number;
}

async function withQueue<T>(ctx: Ctx, name: string, processor: (queue: Queue) => Processor, body: (queue: Queue, worker: Worker) => Promise<T>): Promise<T> {
  const producer = new Redis(ctx.url, { maxRetriesPerRequest: 1 });
  const connection = new Redis(ctx.url, { maxRetriesPerRequest: null });
  const queue = new Queue(name, { connection: producer, prefix: ctx.prefix });
  const worker = new Worker(name, processor(queue), { connection, prefix: ctx.prefix, concurrency: ctx.concurrency, ...WORKER_OPTS });
  worker.on('error', (err) => progress(`raw worker error: ${err.message}`));
  try {
    await worker.waitUntilReady();
    await queue.waitUntilReady();
    // Let the worker reach its blocking wait, as an idle data-plane worker would be.
    await sleep(200);
    return await body(queue, worker);
  } finally {
    await worker.close(true).catch(() => undefined);
    await queue.close().catch(() => undefined);
    producer.disconnect();
    connection.disconnect();
  }
}

async function throughput(ctx: Ctx, jobs: number): Promise<RawBaseline['throughput']> {
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  return withQueue(
    ctx,
    'raw-throughput',
    () => async () => undefined,
    async (queue, worker) => {
      worker.on('completed', () => {
        if (++done === jobs) finish();
      });
      const t0 = performance.now();
      for (let i = 0; i < jobs; i += 500) {
        const n = Math.min(500, jobs - i);
        await queue.addBulk(Array.from({ length: n }, (_, k) => ({ name: 'noop', data: { i: i + k }, opts: { ...JOB_OPTS, jobId: `t-${i + k}` } })));
      }
      await within('raw BullMQ throughput', ctx.timeoutMs, finished);
      const seconds = (performance.now() - t0) / 1000;
      return { jobs, seconds: round(seconds, 3), jobsPerSec: round(jobs / seconds, 1) };
    },
  );
}

async function chained(ctx: Ctx, chains: number, hops: number): Promise<RawBaseline['chainedThroughput']> {
  const jobs = chains * hops;
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  return withQueue(
    ctx,
    'raw-chained',
    (queue) => async (job) => {
      const { c, h } = job.data as { c: number; h: number };
      if (h + 1 < hops) await queue.add('hop', { c, h: h + 1 }, { ...JOB_OPTS, jobId: `c-${c}-${h + 1}` });
    },
    async (queue, worker) => {
      worker.on('completed', () => {
        if (++done === jobs) finish();
      });
      const t0 = performance.now();
      await queue.addBulk(Array.from({ length: chains }, (_, c) => ({ name: 'hop', data: { c, h: 0 }, opts: { ...JOB_OPTS, jobId: `c-${c}-0` } })));
      await within('raw BullMQ chained throughput', ctx.timeoutMs, finished);
      const seconds = (performance.now() - t0) / 1000;
      return { chains, hops, jobs, seconds: round(seconds, 3), jobsPerSec: round(jobs / seconds, 1) };
    },
  );
}

async function serialHop(ctx: Ctx, hops: number): Promise<RawBaseline['serialHop']> {
  let finish!: (at: number) => void;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  return withQueue(
    ctx,
    'raw-serial',
    (queue) => async (job) => {
      const i = (job.data as { i: number }).i;
      if (i + 1 < hops) await queue.add('hop', { i: i + 1 }, { ...JOB_OPTS, jobId: `s-${i + 1}` });
      else finish(performance.now());
    },
    async (queue) => {
      const t0 = performance.now();
      await queue.add('hop', { i: 0 }, { ...JOB_OPTS, jobId: 's-0' });
      const totalMs = (await within('raw BullMQ serial hops', ctx.timeoutMs, finished)) - t0;
      return { hops, totalMs: round(totalMs, 1), msPerHop: round(totalMs / hops, 3) };
    },
  );
}

async function addToProcess(ctx: Ctx, samples: number): Promise<Summary> {
  const waiting = new Map<string, (at: number) => void>();
  return withQueue(
    ctx,
    'raw-latency',
    () => async (job) => {
      waiting.get(job.id!)?.(performance.now());
    },
    async (queue) => {
      const latencies: number[] = [];
      for (let i = 0; i < samples; i++) {
        const id = `l-${i}`;
        const started = new Promise<number>((resolve) => waiting.set(id, resolve));
        const t0 = performance.now();
        await queue.add('ping', { i }, { ...JOB_OPTS, jobId: id });
        latencies.push((await within('raw BullMQ add→process', ctx.timeoutMs, started)) - t0);
        waiting.delete(id);
        // Back to idle (blocked on the queue's marker) before the next one, with a little jitter.
        await sleep(5 + Math.random() * 10);
      }
      return summarize(latencies, 3);
    },
  );
}

export async function measureRawBullmq(options: Ctx & { jobs: number; chains: number; chainHops: number; hops: number; latencySamples: number }): Promise<RawBaseline> {
  const ctx: Ctx = { url: options.url, prefix: options.prefix, concurrency: options.concurrency, timeoutMs: options.timeoutMs };
  progress(`raw BullMQ: ${options.jobs} no-op jobs at concurrency ${ctx.concurrency}`);
  const tp = await throughput(ctx, options.jobs);
  progress(`raw BullMQ: ${tp.jobsPerSec} jobs/s; ${options.chains}×${options.chainHops} chained jobs`);
  const ch = await chained(ctx, options.chains, options.chainHops);
  progress(`raw BullMQ: ${ch.jobsPerSec} chained jobs/s; ${options.hops} serial hops`);
  const hop = await serialHop(ctx, options.hops);
  progress(`raw BullMQ: ${hop.msPerHop} ms/hop; ${options.latencySamples} add→process samples`);
  const latency = await addToProcess(ctx, options.latencySamples);
  progress(`raw BullMQ: add→process p50 ${latency.p50} ms, p99 ${latency.p99} ms`);
  return { workerConcurrency: ctx.concurrency, throughput: tp, chainedThroughput: ch, serialHop: hop, addToProcessMs: latency };
}
