import { createTestRedis, type TestRedis } from '@orvanta/devstack/testing';
import { Queue } from 'bullmq';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript shipped in the chart (files/), no types
import { queueDepth, startExporter } from '../../../../infra/helm/orvanta-dataplane/files/queue-depth-exporter.mjs';

/** The chart's queue-depth exporter against a real Redis and real BullMQ jobs, as the data plane enqueues them. */
describe('queue-depth exporter', () => {
  let redis: TestRedis;
  let queue: Queue;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    redis = await createTestRedis();
    queue = new Queue('nodes', { connection: { url: redis.url }, prefix: redis.prefix });
    server = (await startExporter({ redisUrl: redis.url, prefix: redis.prefix, label: 'dp_"1"', port: 0, host: '127.0.0.1' })) as Server;
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await queue?.close();
    await redis?.stop();
  });

  it('counts waiting and prioritized jobs, not delayed ones, as BullMQ does', async () => {
    expect(await (queueDepth as (u: string, p: string) => Promise<number>)(redis.url, redis.prefix)).toBe(0);
    await queue.addBulk([
      { name: 'message', data: { i: 1 }, opts: { priority: 1 } },
      { name: 'message', data: { i: 2 }, opts: { priority: 7 } },
      { name: 'message', data: { i: 3 } },
      { name: 'message', data: { i: 4 }, opts: { delay: 60_000 } },
    ]);
    const counts = await queue.getJobCounts('waiting', 'prioritized', 'active', 'waiting-children');
    const expected = Object.values(counts).reduce((a, b) => a + b, 0);
    expect(expected).toBe(3);

    const depth = (await (await fetch(`${base}/depth`)).json()) as { depth: number };
    expect(depth).toEqual({ depth: 3 });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('# TYPE orvanta_queue_depth gauge');
    expect(metrics).toContain('orvanta_queue_depth{data_plane="dp_\\"1\\"",queue="nodes"} 3');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('answers 503 when Redis is unreachable', async () => {
    const broken = (await startExporter({ redisUrl: 'redis://127.0.0.1:1/0', prefix: 'x', label: 'x', port: 0, host: '127.0.0.1' })) as Server;
    try {
      const res = await fetch(`http://127.0.0.1:${(broken.address() as AddressInfo).port}/metrics`);
      expect(res.status).toBe(503);
      expect(await res.text()).toMatch(/^queue depth unavailable: /);
    } finally {
      await new Promise((r) => broken.close(r));
    }
  });
});
