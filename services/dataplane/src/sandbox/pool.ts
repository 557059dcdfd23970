import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SubprocessSandbox } from './subprocess.ts';
import type { LogEntry, ScriptError, ScriptInvocation, ScriptOutcome } from './types.ts';

const DEFAULT_SIZE = 2;
const DEFAULT_GRACE_MS = 2000;
/** Native stack of a sandbox thread; QuickJS gets 1/64 of it (engine.mjs MAX_STACK_BYTES, README). */
const THREAD_STACK_MB = 32;
/**
 * V8 heap of a sandbox thread, outside the interpreter's WebAssembly memory: it holds the
 * output and log strings on their way out. Past it the thread, then its host, dies (SandboxCrashed).
 */
const THREAD_HEAP_MB = 1024;
const STARTUP_TIMEOUT_MS = 15_000;
/** A host that fails to start this many times in a row, with no healthy host left, fails the queue. */
const STARTUP_FAILURES_BEFORE_GIVING_UP = 3;
const MIN_MEMORY_BYTES = 1024 * 1024;
const MAX_MEMORY_BYTES = 1024 * 1024 * 1024;
const MAX_TIMEOUT_MS = 24 * 60 * 60 * 1000;
const MAX_FILENAME_CHARS = 255;
/** Last bytes of a host's stderr kept for the diagnostic when it dies (V8 prints fatal errors there). */
const STDERR_TAIL_BYTES = 2048;
const HOST_ENTRY = fileURLToPath(new URL('./host.mjs', import.meta.url));
const DEFAULT_LANGUAGES: readonly string[] = ['javascript', 'typescript'];

export interface SandboxPoolOptions {
  /** Host processes, each running one JavaScript invocation at a time. Default 2. */
  size?: number;
  /**
   * How long past a script's time limit its host may stay silent before it is presumed stuck,
   * killed and replaced (the invocation fails with `SandboxCrashed`). It also covers freeing
   * the script's heap, which takes a while for a large one. Default 2000 ms.
   */
  graceMs?: number;
  /** Hears about a host replaced or an interpreter discarded, for the worker's log. */
  onDiagnostic?: (message: string) => void;
  /** Thread entry module run inside each host. Only for fault-injection tests; defaults to `./thread.mjs`. */
  threadEntry?: URL;
  /**
   * Script languages this data plane allows (its `SCRIPT_LANGUAGES`), read back by the engine
   * with `allows()`. Default `javascript`, `typescript`. `python` and `shell` need `subprocess`.
   */
  languages?: readonly string[];
  /** Runs `python` and `shell` invocations (bubblewrap); `close()` closes it too. */
  subprocess?: SubprocessSandbox;
}

/** What the thread receives (see thread.mjs / engine.mjs). */
interface ThreadJob {
  code: string;
  filename: string;
  inputJson: string;
  ctxJson: string;
  timeoutMs: number;
  memoryBytes: number;
  /** Post `logs` batches while the script runs (the invocation has an `onLog`). */
  live: boolean;
}

type ThreadResult =
  | { ok: true; outputJson: string; logs: LogEntry[]; durationMs: number }
  | { ok: false; error: ScriptError; logs: LogEntry[]; durationMs: number };

interface Pending {
  id: number;
  job: ThreadJob;
  resolve: (outcome: ScriptOutcome) => void;
  onLog?: (entry: LogEntry) => void;
}

interface Running extends Pending {
  dispatchedAt: number;
  watchdog: NodeJS.Timeout;
}

/** One host process (host.mjs), which holds one sandbox thread. */
interface Slot {
  child: ChildProcess;
  pid: number | undefined;
  ready: boolean;
  running?: Running;
  startup?: NodeJS.Timeout;
  /** Why the host said it is dying (`fatal`), or a spawn/IPC error. */
  lastError?: string;
  stderrTail: string;
}

/**
 * Runs user scripts. JavaScript runs in QuickJS (WebAssembly) on a pool of host processes, each
 * holding one interpreter thread, so a script that spins until its deadline never blocks this
 * thread's event loop, and a host that hangs, crashes or is killed takes down only the one
 * invocation it was running: it is killed (SIGKILL) and replaced, and this process never dies
 * with it. Each invocation gets a fresh interpreter with its time and memory limits;
 * invocations queue while every host is busy. `python` and `shell` go to the subprocess
 * sandbox given in the options.
 */
export class SandboxPool {
  readonly #graceMs: number;
  readonly #entry: URL;
  readonly #onDiagnostic: (message: string) => void;
  readonly #languages: ReadonlySet<string>;
  readonly #subprocess?: SubprocessSandbox;
  readonly #slots = new Set<Slot>();
  /** Exits of every host ever started and not yet reaped, retired ones included: close() awaits them. */
  readonly #exits = new Set<Promise<void>>();
  readonly #queue: Pending[] = [];
  readonly #idleWaiters: (() => void)[] = [];
  /** Keeps this process alive while invocations wait for a host (idle hosts do not). */
  #queuedKeepAlive?: NodeJS.Timeout;
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
    this.#languages = new Set(options.languages ?? DEFAULT_LANGUAGES);
    this.#subprocess = options.subprocess;
    for (const language of ['python', 'shell'] as const) {
      if (this.#languages.has(language) && !this.#subprocess?.supports(language)) {
        throw new Error(`SandboxPool allows ${language} but was given no subprocess sandbox that can run it`);
      }
    }
    for (let i = 0; i < size; i++) this.#spawn();
  }

  /** Whether this data plane allows scripts in `language` (the `languages` option). */
  allows(language: string): boolean {
    return this.#languages.has(language);
  }

  /** Process ids of the live JavaScript hosts, for diagnostics and fault-injection tests. */
  pids(): number[] {
    return [...this.#slots].flatMap((slot) => (slot.pid === undefined ? [] : [slot.pid]));
  }

  /**
   * Runs the script: for JavaScript, calls its default export with `input` and `ctx`; for
   * `python` and `shell`, see SubprocessSandbox. Resolves with the outcome for every script
   * problem (throw, timeout, memory, bad output, crashed host); rejects only for a misuse of
   * the pool: a closed pool, invalid limits, an input that is not JSON, or a language it was not
   * configured to run.
   */
  run(invocation: ScriptInvocation): Promise<ScriptOutcome> {
    if (this.#closed) return Promise.reject(new Error('SandboxPool is closed'));
    const language = invocation.language ?? 'javascript';
    if (language !== 'javascript') {
      if (!this.#subprocess?.supports(language)) return Promise.reject(new Error(`SandboxPool cannot run ${String(language)} scripts`));
      try {
        checkLimits(invocation);
      } catch (error) {
        return Promise.reject(error);
      }
      return this.#subprocess.run({ ...invocation, language });
    }
    let job: ThreadJob;
    try {
      job = toThreadJob(invocation);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve) => {
      this.#queue.push({ id: this.#nextId++, job, resolve, onLog: invocation.onLog });
      this.#dispatch();
    });
  }

  /**
   * Stops taking work, fails queued invocations, waits for running ones (python and shell
   * included), then kills the hosts and closes the subprocess sandbox.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      for (const pending of this.#queue.splice(0)) pending.resolve(crashed('the sandbox pool closed before the script ran', 0));
      this.#dispatch();
      const subprocess = this.#subprocess?.idle().then(() => this.#subprocess?.close());
      if ([...this.#slots].some((slot) => slot.running)) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
      const slots = [...this.#slots];
      this.#slots.clear();
      for (const slot of slots) {
        clearTimeout(slot.startup);
        slot.child.kill('SIGKILL');
      }
      await Promise.all([...this.#exits, subprocess]);
    })();
    return this.#closing;
  }

  #spawn(): void {
    const child = fork(HOST_ENTRY, [this.#entry.href, String(THREAD_STACK_MB), String(THREAD_HEAP_MB)], {
      // A plain Node process: no loaders or flags of the parent, no environment variables.
      execArgv: [],
      env: {} as NodeJS.ProcessEnv,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      // A fork that failed to spawn never exits.
      child.once('error', () => {
        if (child.pid === undefined) resolve();
      });
    });
    this.#exits.add(exited);
    void exited.then(() => this.#exits.delete(exited));
    const slot: Slot = { child, pid: child.pid, ready: false, stderrTail: '' };
    // Idle hosts must not keep this process alive; a running invocation's watchdog does.
    child.unref();
    child.channel?.unref();
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      slot.stderrTail = (slot.stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
    });
    (child.stderr as { unref?: () => void } | null)?.unref?.();
    slot.startup = setTimeout(() => this.#retire(slot, `did not start within ${STARTUP_TIMEOUT_MS} ms`), STARTUP_TIMEOUT_MS);
    slot.startup.unref();
    child.on('message', (message: unknown) => this.#onMessage(slot, message));
    child.on('error', (error) => {
      slot.lastError ??= error.message;
      if (child.pid === undefined) this.#retire(slot, `could not start: ${error.message}`);
    });
    child.on('exit', (code, signal) => this.#retire(slot, slot.lastError ?? (signal ? `was killed by ${signal}` : `exited with code ${code}`)));
    this.#slots.add(slot);
  }

  #onMessage(slot: Slot, message: unknown): void {
    if (!this.#slots.has(slot) || typeof message !== 'object' || message === null) return;
    const m = message as { type?: string; id?: number; result?: ThreadResult; message?: string; entries?: LogEntry[] };
    if (m.type === 'fatal') {
      slot.lastError = String(m.message);
      return; // the host exits right after; its exit retires the slot
    }
    if (m.type === 'diagnostic') {
      this.#onDiagnostic(`sandbox process ${slot.pid}: ${m.message}`);
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
    if (m.type === 'logs') {
      if (running && m.id === running.id && Array.isArray(m.entries)) deliverLogs(running.onLog, m.entries);
      return;
    }
    if (m.type !== 'result' || !running || m.id !== running.id || !m.result) return;
    clearTimeout(running.watchdog);
    slot.running = undefined;
    running.resolve(toOutcome(m.result));
    this.#dispatch();
    this.#notifyIdle();
  }

  #dispatch(): void {
    this.#dispatchToIdle();
    if (this.#queue.length > 0) this.#queuedKeepAlive ??= setInterval(() => undefined, 60_000);
    else {
      clearInterval(this.#queuedKeepAlive);
      this.#queuedKeepAlive = undefined;
    }
  }

  #dispatchToIdle(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0) return;
      if (!slot.ready || slot.running) continue;
      const pending = this.#queue.shift()!;
      const limitMs = pending.job.timeoutMs + this.#graceMs;
      const running: Running = {
        ...pending,
        dispatchedAt: performance.now(),
        watchdog: setTimeout(() => {
          if (slot.running === running) this.#retire(slot, `did not answer within ${limitMs} ms`);
        }, limitMs),
      };
      slot.running = running;
      slot.child.send({ type: 'run', id: running.id, job: running.job }, (error) => {
        if (error) this.#retire(slot, `could not be sent the script: ${error.message}`);
      });
    }
  }

  /** Takes a dead, stuck or failed host out of service, kills it and, unless closing, replaces it. */
  #retire(slot: Slot, reason: string): void {
    if (!this.#slots.delete(slot)) return;
    clearTimeout(slot.startup);
    const running = slot.running;
    slot.running = undefined;
    if (running) {
      clearTimeout(running.watchdog);
      running.resolve(crashed(`the sandbox process ${reason}; it was replaced`, performance.now() - running.dispatchedAt));
    }
    // SIGKILL: a stuck host may be spinning in native code; nothing it holds needs a clean exit.
    if (slot.child.exitCode === null && slot.child.signalCode === null) slot.child.kill('SIGKILL');
    this.#notifyIdle();
    if (this.#closed) return;
    const stderr = slot.stderrTail.trim();
    this.#onDiagnostic(`sandbox process ${slot.pid} ${reason}; replacing it${stderr ? ` (stderr: ${stderr.split('\n').slice(-3).join(' | ')})` : ''}`);
    if (slot.ready) {
      this.#spawn();
      return;
    }
    // It never became ready: back off, and stop queueing forever when no host can start.
    this.#startupFailures++;
    const healthy = [...this.#slots].some((s) => s.ready);
    if (!healthy && this.#startupFailures >= STARTUP_FAILURES_BEFORE_GIVING_UP) {
      for (const pending of this.#queue.splice(0)) pending.resolve(crashed(`no sandbox process could start: ${reason}`, 0));
      this.#dispatch();
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

function checkLimits(invocation: ScriptInvocation): void {
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
  const filename = invocation.filename;
  if (filename !== undefined && (typeof filename !== 'string' || filename.length === 0 || filename.length > MAX_FILENAME_CHARS)) {
    throw new RangeError(`invocation.filename must be 1 to ${MAX_FILENAME_CHARS} characters`);
  }
}

function toThreadJob(invocation: ScriptInvocation): ThreadJob {
  checkLimits(invocation);
  const { code, limits } = invocation;
  const filename = invocation.filename ?? 'script.js';
  return {
    code,
    filename,
    inputJson: toJson(invocation.input, 'input'),
    ctxJson: toJson(invocation.ctx, 'ctx'),
    timeoutMs: limits.timeoutMs,
    memoryBytes: Math.floor(limits.memoryBytes),
    live: typeof invocation.onLog === 'function',
  };
}

/** The invocation's input or ctx as JSON (`undefined` becomes `null`); throws a TypeError naming which. */
export function toJson(value: unknown, what: string): string {
  try {
    return JSON.stringify(value ?? null) ?? 'null';
  } catch (error) {
    throw new TypeError(`invocation.${what} is not JSON-serializable: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Hands live entries to the caller's `onLog`; a listener that throws loses its live view, never the run. */
function deliverLogs(onLog: ((entry: LogEntry) => void) | undefined, entries: LogEntry[]): void {
  if (!onLog) return;
  for (const entry of entries) {
    try {
      onLog(entry);
    } catch {
      return;
    }
  }
}

function toOutcome(result: ThreadResult): ScriptOutcome {
  if (!result.ok) return result;
  return { ok: true, output: JSON.parse(result.outputJson), logs: result.logs, durationMs: result.durationMs };
}

function crashed(message: string, durationMs: number): ScriptOutcome {
  return { ok: false, error: { class: 'SandboxCrashed', message }, logs: [], durationMs };
}

