import { DelayedError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.ts';
import { errorFields } from '../log.ts';
import { processMessage, type EngineDeps } from './process-message.ts';
import { NODE_QUEUE, type NodeJobData, type NodeQueue } from './queue.ts';

/**
 * How long a worker's claim on a job lasts unless renewed (renewed every half of it), and how
 * often workers look for jobs whose claim lapsed. Together they bound how long the messages
 * of a worker that died (kill -9, OOM, lost host) sit before another delivery picks them up:
 * about LOCK_MS + 2 × STALLED_CHECK_MS. Scripts run on sandbox threads, so the event loop
 * that renews the lock is never held for long; a lapsed lock on a live worker costs only a
 * second delivery, which records nothing twice.
 */
export const LOCK_MS = 10_000;
export const STALLED_CHECK_MS = 5_000;

/** The worker role: takes messages off the queue and runs them through their nodes. */
export function startNodeWorker(deps: EngineDeps & { queue: NodeQueue; connection: Redis; prefix: string; concurrency: number; log: Logger }) {
  const worker = new Worker<NodeJobData>(
    NODE_QUEUE,
    async (job, token) => {
      const { next, retryAt } = await processMessage(deps, job.data.messageId);
      // After commit. If this fails the messages are still pending in Postgres and the
      // reconciler enqueues them.
      await deps.queue.enqueue(next).catch((err) => deps.log.warn('enqueue failed; reconciler will retry', { messageId: job.data.messageId, ...errorFields(err) }));
      if (retryAt) {
        // The same job comes back at that time (a retry's backoff, a delay node's wait).
        await job.moveToDelayed(retryAt.getTime(), token);
        throw new DelayedError();
      }
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: deps.concurrency, lockDuration: LOCK_MS, stalledInterval: STALLED_CHECK_MS },
  );
  worker.on('failed', (job, err) => deps.log.warn('message processing failed; will retry', { messageId: job?.data.messageId, attempt: job?.attemptsMade, ...errorFields(err) }));
  worker.on('error', (err) => deps.log.error('worker error', errorFields(err)));
  return worker;
}
