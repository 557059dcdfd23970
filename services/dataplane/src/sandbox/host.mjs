// Entry of a sandbox host process, forked by SandboxPool (one per pool slot). It runs one
// sandbox thread (thread.mjs → engine.mjs) and relays messages between it and the pool:
// the pool talks to this process over IPC exactly as it would talk to the thread (live log
// batches included: the thread batches them, so relaying one by one floods nothing).
// Plain JavaScript so tsx, vitest and node load it alike; started with no flags and no env.
//
// argv: [thread entry URL, thread stack MiB, thread heap MiB]. Besides the thread's own
// messages it sends { type: 'fatal', message } once before exiting because its thread died.
import { Worker } from 'node:worker_threads';

if (!process.send) throw new Error('host.mjs runs as a child process of SandboxPool (fork with IPC)');
const [entry, stackSizeMb, maxOldGenerationSizeMb] = process.argv.slice(2);

// The pool is gone (closed the channel, or its process died): so is every reason to live.
process.on('disconnect', () => process.exit(0));

const thread = new Worker(new URL(entry), {
  // A plain Node thread: no loaders or flags, no environment variables.
  execArgv: [],
  env: {},
  resourceLimits: { stackSizeMb: Number(stackSizeMb), maxOldGenerationSizeMb: Number(maxOldGenerationSizeMb) },
});
let lastError;
let dying = false;

function die(message) {
  if (dying) return;
  dying = true;
  const exit = () => process.exit(1);
  try {
    process.send({ type: 'fatal', message }, exit);
  } catch {
    exit();
  }
}

thread.on('message', (message) => {
  if (!dying) process.send(message);
});
thread.on('error', (error) => {
  lastError = error;
});
thread.on('messageerror', (error) => die(`thread could not read a message: ${error.message}`));
thread.on('exit', (code) => {
  const outOfMemory = lastError?.code === 'ERR_WORKER_OUT_OF_MEMORY';
  die(outOfMemory ? 'ran out of memory outside the interpreter' : lastError ? `thread failed: ${lastError.message}` : `thread exited with code ${code}`);
});
process.on('message', (message) => {
  if (!dying) thread.postMessage(message);
});
