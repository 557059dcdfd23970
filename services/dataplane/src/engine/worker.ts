import { DelayedError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.ts';
import { errorFields } from '../log.ts';
import { processMessage, type EngineDeps } from './process-message.ts';
import { NODE_QUEUE, type NodeJobData, type NodeQueue } from './queue.ts';

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
    { connection: deps.connection, prefix: deps.prefix, concurrency: deps.concurrency, lockDuration: 60_000 },
  );
  worker.on('failed', (job, err) => deps.log.warn('message processing failed; will retry', { messageId: job?.data.messageId, attempt: job?.attemptsMade, ...errorFields(err) }));
  worker.on('error', (err) => deps.log.error('worker error', errorFields(err)));
  return worker;
}
