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
 * Fair share between tenants. A job's priority is 1 + its tenant's recent enqueue count,
 * decayed exponentially (half-life `halfLifeMs`): a tenant that has sent nothing for a
 * while gets 1 and goes straight to the front; one that floods the queue gets numbers that
 * grow with its burst (a split of 50,000 items: 1 to 50,000) and stay high while it keeps
 * sending, since successors are enqueued as fast as its messages are processed. Between
 * busy tenants this evens out their service: the one served more enqueues more and so
 * drops back. Unlike a count reset by a fixed window, there is no moment when a flooding
 * tenant starts again from priority 1, level with a quiet one.
 *
 * O(1) per job, no Redis round trip: the count is this process's view. Every producer
 * (agent, workers, ingress, scheduler) sees its own share of each tenant's traffic, and
 * the ranking holds in each share. A tenant's jobs are not first in, first out among
 * themselves: its newer jobs can overtake its older burst, which moves its runs along
 * rather than starting more of them.
 */
export class FairShare {
  private readonly tenants = new Map<string, { level: number; at: number }>();

  constructor(private readonly halfLifeMs = 30_000) {}

  priorityFor(tenantId: string, now = Date.now()): number {
    const entry = this.tenants.get(tenantId);
    const level = entry ? entry.level * 2 ** (-Math.max(0, now - entry.at) / this.halfLifeMs) : 0;
    if (entry) {
      entry.level = level + 1;
      entry.at = now;
    } else {
      this.tenants.set(tenantId, { level: 1, at: now });
      if (this.tenants.size > 10_000) this.prune(now);
    }
    return Math.min(LOWEST_PRIORITY, 1 + Math.floor(level));
  }

  /** Forgets tenants whose count has decayed to nothing: they would get priority 1 anyway. */
  private prune(now: number): void {
    for (const [tenant, entry] of this.tenants) if (entry.level * 2 ** (-(now - entry.at) / this.halfLifeMs) < 1) this.tenants.delete(tenant);
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
