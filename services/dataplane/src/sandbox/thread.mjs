// Entry of a sandbox worker thread (plain JavaScript so tsx, vitest and node load it alike).
// Protocol: posts { type: 'ready' } once the interpreter is compiled; answers each
// { type: 'run', id, job } with { type: 'result', id, result }, one job at a time; for a job
// with `live: true` it posts { type: 'logs', id, entries } batches while the script runs, all
// before the result; may post { type: 'diagnostic', message } about its own health.
import { parentPort } from 'node:worker_threads';
import { createEngine } from './engine.mjs';

if (!parentPort) throw new Error('thread.mjs runs inside a worker thread of SandboxPool');
const port = parentPort;
const engine = await createEngine({ report: (message) => port.postMessage({ type: 'diagnostic', message }) });

let queue = Promise.resolve();
port.on('message', (message) => {
  if (message?.type !== 'run') return;
  queue = queue.then(async () => {
    const { id, job } = message;
    const onLogs = job.live ? (entries) => port.postMessage({ type: 'logs', id, entries }) : undefined;
    const result = await engine.execute(job, { onLogs });
    port.postMessage({ type: 'result', id, result });
  });
});
port.postMessage({ type: 'ready' });
