import { DelayedError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.ts';
import { errorFields } from '../log.ts';
import { touchRunning, type MessageToProcess } from './hot-path.ts';
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

/**
 * How often a message run outside its own job (see below) marks its row fresh: well inside the
 * reconciler's threshold (10 s), so a live worker's message is never delivered a second time.
 */
export const CARRIED_TOUCH_MS = 3_000;
/** A carried message whose processing failed (the database away) is queued again after this long. */
const CARRIED_RETRY_MS = 1_000;
/** At most this many messages carried on in one job, so that no job is held for ever. */
const MAX_CARRIED = 1_000;

/**
 * The worker role: takes messages off the queue and runs them through their nodes.
 *
 * A node that sends exactly one message on (a chain) carries it on in the same job when
 * nothing else waits in the queue: the message is already stored, pending, so this saves
 * the trip through Redis (an enqueue and a pick-up, about half a chain's time per node) and
 * takes nothing from anyone — with any job waiting, it is enqueued as usual and the fair
 * share decides. A carried message has no job of its own: its row is kept fresh while it
 * runs, and if the worker dies the reconciler finds it and enqueues it.
 */
export function startNodeWorker(deps: EngineDeps & { queue: NodeQueue; connection: Redis; prefix: string; concurrency: number; log: Logger }) {
  const idle = async () => {
    const counts = await deps.queue.queue.getJobCounts('waiting', 'prioritized');
    return (counts.waiting ?? 0) + (counts.prioritized ?? 0) === 0;
  };
  const worker = new Worker<NodeJobData>(
    NODE_QUEUE,
    async (job, token) => {
      let current = job.data;
      let known: MessageToProcess | undefined;
      for (let carried = 0; ; carried++) {
        const own = carried === 0;
        const touch = own ? undefined : setInterval(() => void touchRunning(deps.sql, current.messageId).catch(() => undefined), CARRIED_TOUCH_MS);
        let processed: Awaited<ReturnType<typeof processMessage>>;
        try {
          processed = await processMessage(deps, current.messageId, known);
        } catch (err) {
          if (own) throw err; // BullMQ retries the job
          // A carried message goes back to the queue with a job of its own, retried like any other.
          deps.log.warn('message processing failed; will retry', { messageId: current.messageId, ...errorFields(err) });
          await enqueue([{ ...current, delayMs: CARRIED_RETRY_MS }], current.messageId);
          return;
        } finally {
          clearInterval(touch);
        }
        const { next, retryAt } = processed;
        if (retryAt && own) {
          // After commit. If this fails the messages are still pending in Postgres and the
          // reconciler enqueues them.
          await enqueue(next, job.data.messageId);
          // The same job comes back at that time (a retry's backoff, a delay node's wait).
          await job.moveToDelayed(retryAt.getTime(), token);
          throw new DelayedError();
        }
        const later = retryAt ? [{ ...current, delayMs: retryAt.getTime() - Date.now() }] : [];
        if (!retryAt && next.length === 1 && carried < MAX_CARRIED && (await idle().catch(() => false))) {
          current = next[0]!;
          known = processed.sentOn;
          continue;
        }
        await enqueue([...next, ...later], current.messageId);
        return;
      }
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: deps.concurrency, lockDuration: LOCK_MS, stalledInterval: STALLED_CHECK_MS },
  );
  const enqueue = (jobs: (NodeJobData & { delayMs?: number })[], messageId: string) =>
    deps.queue.enqueue(jobs).catch((err) => deps.log.warn('enqueue failed; reconciler will retry', { messageId, ...errorFields(err) }));
  worker.on('failed', (job, err) => deps.log.warn('message processing failed; will retry', { messageId: job?.data.messageId, attempt: job?.attemptsMade, ...errorFields(err) }));
  worker.on('error', (err) => deps.log.error('worker error', errorFields(err)));
  return worker;
}
