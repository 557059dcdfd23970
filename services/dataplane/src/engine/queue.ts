import { Queue, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';

export const NODE_QUEUE = 'nodes';

/** Job data: ids only. Payloads stay in Postgres. */
export interface NodeJobData {
  messageId: string;
  runId: string;
  tenantId: string;
}

export function redisConnection(url: string, role: 'producer' | 'worker'): Redis {
  return new Redis(url, {
    // Workers block on Redis and must never give up a command; producers fail fast and
    // leave re-enqueueing to the reconciler (Postgres holds every pending message).
    maxRetriesPerRequest: role === 'worker' ? null : 1,
    enableOfflineQueue: role === 'worker',
    lazyConnect: false,
  });
}

/** BullMQ's lowest priority (priorities run from 1, highest, to 2^21). */
const LOWEST_PRIORITY = 2 ** 21;

/**
 * Fair share between tenants: a job's priority is how many jobs its tenant had enqueued
 * (through this process) in the last window, so a tenant flooding the queue pushes its own
 * later jobs back while a quiet tenant's next job goes straight to the front. Within a tenant
 * the order stays first in, first out while the flood lasts.
 */
export class FairShare {
  private readonly counts = new Map<string, { windowStart: number; count: number }>();

  constructor(private readonly windowMs = 30_000) {}

  priorityFor(tenantId: string, now = Date.now()): number {
    let entry = this.counts.get(tenantId);
    if (!entry || now - entry.windowStart > this.windowMs) {
      entry = { windowStart: now, count: 0 };
      this.counts.set(tenantId, entry);
      if (this.counts.size > 10_000) this.prune(now);
    }
    entry.count += 1;
    return Math.min(LOWEST_PRIORITY, entry.count);
  }

  private prune(now: number): void {
    for (const [tenant, entry] of this.counts) if (now - entry.windowStart > this.windowMs) this.counts.delete(tenant);
  }
}

export class NodeQueue {
  readonly queue: Queue<NodeJobData>;
  private readonly fairShare = new FairShare();

  constructor(connection: ConnectionOptions, prefix: string) {
    this.queue = new Queue<NodeJobData>(NODE_QUEUE, { connection, prefix });
  }

  /**
   * Adds jobs keyed by message id: adding one that is still queued is a no-op. `delayMs`
   * holds a job back (a retry's backoff, a delay node).
   */
  async enqueue(jobs: (NodeJobData & { delayMs?: number })[]): Promise<void> {
    if (jobs.length === 0) return;
    await this.queue.addBulk(
      jobs.map(({ delayMs, ...data }) => ({
        name: 'message',
        data,
        opts: {
          jobId: data.messageId,
          priority: this.fairShare.priorityFor(data.tenantId),
          ...(delayMs && delayMs > 0 ? { delay: delayMs } : {}),
          // Retries here cover infrastructure failures (database down); script failures
          // are recorded as node results, not thrown.
          attempts: 25,
          backoff: { type: 'exponential', delay: 1000 },
          removeOnComplete: true,
          removeOnFail: { count: 1000 },
        },
      })),
    );
  }

  async depth(): Promise<number> {
    const counts = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
