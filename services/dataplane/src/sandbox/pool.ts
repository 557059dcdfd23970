import { Worker } from 'node:worker_threads';
import type { LogEntry, ScriptError, ScriptInvocation, ScriptOutcome } from './types.ts';

const DEFAULT_SIZE = 2;
const DEFAULT_GRACE_MS = 2000;
/** Native stack of a sandbox thread; QuickJS gets 1/64 of it (engine.mjs MAX_STACK_BYTES, README). */
const THREAD_STACK_MB = 32;
const STARTUP_TIMEOUT_MS = 15_000;
/** A thread that fails to start this many times in a row, with no healthy thread left, fails the queue. */
const STARTUP_FAILURES_BEFORE_GIVING_UP = 3;
const MIN_MEMORY_BYTES = 1024 * 1024;
const MAX_MEMORY_BYTES = 1024 * 1024 * 1024;
const MAX_TIMEOUT_MS = 24 * 60 * 60 * 1000;
const MAX_FILENAME_CHARS = 255;

export interface SandboxPoolOptions {
  /** Worker threads, each running one script at a time. Default 2. */
  size?: number;
  /**
   * How long past a script's time limit its thread may stay silent before it is presumed stuck,
   * terminated and replaced (the invocation fails with `SandboxCrashed`). It also covers freeing
   * the script's heap, which takes a while for a large one. Default 2000 ms.
   */
  graceMs?: number;
  /** Hears about a thread replaced or an interpreter discarded, for the worker's log. */
  onDiagnostic?: (message: string) => void;
  /** Thread entry module. Only for fault-injection tests; defaults to `./thread.mjs`. */
  threadEntry?: URL;
}

/** What the thread receives (see thread.mjs / engine.mjs). */
interface ThreadJob {
  code: string;
  filename: string;
  inputJson: string;
  ctxJson: string;
  timeoutMs: number;
  memoryBytes: number;
}

type ThreadResult =
  | { ok: true; outputJson: string; logs: LogEntry[]; durationMs: number }
  | { ok: false; error: ScriptError; logs: LogEntry[]; durationMs: number };

interface Pending {
  id: number;
  job: ThreadJob;
  resolve: (outcome: ScriptOutcome) => void;
}

interface Running extends Pending {
  dispatchedAt: number;
  watchdog: NodeJS.Timeout;
}

interface Slot {
  worker: Worker;
  threadId: number;
  ready: boolean;
  running?: Running;
  startup?: NodeJS.Timeout;
  lastError?: Error;
}

/**
 * Runs user scripts in QuickJS (WebAssembly) on a pool of worker threads, so a script that
 * spins until its deadline never blocks this thread's event loop. Each invocation gets a fresh
 * interpreter with the invocation's time and memory limits. A thread that stops answering is
 * terminated and replaced; invocations queue while every thread is busy.
 */
export class SandboxPool {
  readonly #graceMs: number;
  readonly #entry: URL;
  readonly #onDiagnostic: (message: string) => void;
  readonly #slots = new Set<Slot>();
  readonly #queue: Pending[] = [];
  readonly #idleWaiters: (() => void)[] = [];
  #nextId = 1;
  #startupFailures = 0;
  #closed = false;
  #closing?: Promise<void>;

  constructor(options: SandboxPoolOptions = {}) {
    const size = options.size ?? DEFAULT_SIZE;
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`SandboxPool size must be a positive integer, got ${size}`);
    this.#graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
    if (!Number.isFinite(this.#graceMs) || this.#graceMs < 0) throw new RangeError(`SandboxPool graceMs must be >= 0, got ${this.#graceMs}`);
    this.#entry = options.threadEntry ?? new URL('./thread.mjs', import.meta.url);
    this.#onDiagnostic = options.onDiagnostic ?? (() => undefined);
    for (let i = 0; i < size; i++) this.#spawn();
  }

  /**
   * Calls the script's default export with `input` and `ctx`. Resolves with the outcome for
   * every script problem (throw, timeout, memory, bad output, crashed thread); rejects only for
   * a misuse of the pool: a closed pool, invalid limits, or an input that is not JSON.
   */
  run(invocation: ScriptInvocation): Promise<ScriptOutcome> {
    if (this.#closed) return Promise.reject(new Error('SandboxPool is closed'));
    let job: ThreadJob;
    try {
      job = toThreadJob(invocation);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve) => {
      this.#queue.push({ id: this.#nextId++, job, resolve });
      this.#dispatch();
    });
  }

  /** Stops taking work, fails queued invocations, waits for running ones, then ends the threads. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      for (const pending of this.#queue.splice(0)) pending.resolve(crashed('the sandbox pool closed before the script ran', 0));
      if ([...this.#slots].some((slot) => slot.running)) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
      const slots = [...this.#slots];
      this.#slots.clear();
      for (const slot of slots) clearTimeout(slot.startup);
      await Promise.all(slots.map((slot) => slot.worker.terminate()));
    })();
    return this.#closing;
  }

  #spawn(): void {
    const worker = new Worker(this.#entry, {
      // A plain Node thread: no loaders or flags of the parent, no environment variables.
      execArgv: [],
      env: {},
      resourceLimits: { stackSizeMb: THREAD_STACK_MB },
    });
    // Idle threads must not keep the process alive; a running invocation's watchdog does.
    worker.unref();
    const slot: Slot = { worker, threadId: worker.threadId, ready: false };
    slot.startup = setTimeout(() => this.#retire(slot, new Error(`did not start within ${STARTUP_TIMEOUT_MS} ms`)), STARTUP_TIMEOUT_MS);
    slot.startup.unref();
    worker.on('message', (message: unknown) => this.#onMessage(slot, message));
    worker.on('error', (error) => {
      slot.lastError = error;
    });
    worker.on('messageerror', (error) => this.#retire(slot, error));
    worker.on('exit', (code) => this.#retire(slot, slot.lastError ?? new Error(`exited with code ${code}`)));
    this.#slots.add(slot);
  }

  #onMessage(slot: Slot, message: unknown): void {
    if (!this.#slots.has(slot) || typeof message !== 'object' || message === null) return;
    const m = message as { type?: string; id?: number; result?: ThreadResult; message?: string };
    if (m.type === 'diagnostic') {
      this.#onDiagnostic(`sandbox thread ${slot.threadId}: ${m.message}`);
      return;
    }
    if (m.type === 'ready') {
      clearTimeout(slot.startup);
      slot.ready = true;
      this.#startupFailures = 0;
      this.#dispatch();
      return;
    }
    const running = slot.running;
    if (m.type !== 'result' || !running || m.id !== running.id || !m.result) return;
    clearTimeout(running.watchdog);
    slot.running = undefined;
    running.resolve(toOutcome(m.result));
    this.#dispatch();
    this.#notifyIdle();
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0) return;
      if (!slot.ready || slot.running) continue;
      const pending = this.#queue.shift()!;
      const limitMs = pending.job.timeoutMs + this.#graceMs;
      const running: Running = {
        ...pending,
        dispatchedAt: performance.now(),
        watchdog: setTimeout(() => {
          if (slot.running === running) this.#retire(slot, new Error(`did not answer within ${limitMs} ms`));
        }, limitMs),
      };
      slot.running = running;
      slot.worker.postMessage({ type: 'run', id: running.id, job: running.job });
    }
  }

  /** Takes a dead, stuck or failed thread out of service and, unless closing, replaces it. */
  #retire(slot: Slot, reason: Error): void {
    if (!this.#slots.delete(slot)) return;
    clearTimeout(slot.startup);
    const running = slot.running;
    slot.running = undefined;
    if (running) {
      clearTimeout(running.watchdog);
      running.resolve(crashed(`the sandbox thread ${reason.message}; it was replaced`, performance.now() - running.dispatchedAt));
    }
    void slot.worker.terminate().catch(() => undefined);
    this.#notifyIdle();
    if (this.#closed) return;
    this.#onDiagnostic(`sandbox thread ${slot.threadId} ${reason.message}; replacing it`);
    if (slot.ready) {
      this.#spawn();
      return;
    }
    // It never became ready: back off, and stop queueing forever when no thread can start.
    this.#startupFailures++;
    const healthy = [...this.#slots].some((s) => s.ready);
    if (!healthy && this.#startupFailures >= STARTUP_FAILURES_BEFORE_GIVING_UP) {
      for (const pending of this.#queue.splice(0)) pending.resolve(crashed(`no sandbox thread could start: ${reason.message}`, 0));
    }
    const delay = Math.min(100 * 2 ** (this.#startupFailures - 1), 5000);
    setTimeout(() => {
      if (!this.#closed) this.#spawn();
    }, delay).unref();
  }

  #notifyIdle(): void {
    if ([...this.#slots].some((slot) => slot.running)) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }
}

function toThreadJob(invocation: ScriptInvocation): ThreadJob {
  const { code, limits } = invocation;
  if (typeof code !== 'string') throw new TypeError('invocation.code must be a string');
  const timeoutMs = limits?.timeoutMs;
  const memoryBytes = limits?.memoryBytes;
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0 && timeoutMs <= MAX_TIMEOUT_MS)) {
    throw new RangeError(`limits.timeoutMs must be in (0, ${MAX_TIMEOUT_MS}], got ${timeoutMs}`);
  }
  if (typeof memoryBytes !== 'number' || !(memoryBytes >= MIN_MEMORY_BYTES && memoryBytes <= MAX_MEMORY_BYTES)) {
    throw new RangeError(`limits.memoryBytes must be in [${MIN_MEMORY_BYTES}, ${MAX_MEMORY_BYTES}], got ${memoryBytes}`);
  }
  const filename = invocation.filename ?? 'script.js';
  if (typeof filename !== 'string' || filename.length === 0 || filename.length > MAX_FILENAME_CHARS) {
    throw new RangeError(`invocation.filename must be 1 to ${MAX_FILENAME_CHARS} characters`);
  }
  return { code, filename, inputJson: toJson(invocation.input, 'input'), ctxJson: toJson(invocation.ctx, 'ctx'), timeoutMs, memoryBytes: Math.floor(memoryBytes) };
}

function toJson(value: unknown, what: string): string {
  try {
    return JSON.stringify(value ?? null) ?? 'null';
  } catch (error) {
    throw new TypeError(`invocation.${what} is not JSON-serializable: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function toOutcome(result: ThreadResult): ScriptOutcome {
  if (!result.ok) return result;
  return { ok: true, output: JSON.parse(result.outputJson), logs: result.logs, durationMs: result.durationMs };
}

function crashed(message: string, durationMs: number): ScriptOutcome {
  return { ok: false, error: { class: 'SandboxCrashed', message }, logs: [], durationMs };
}
