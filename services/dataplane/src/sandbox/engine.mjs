// Runs one script invocation in a fresh QuickJS runtime. Loaded by thread.mjs inside a worker
// thread with a large native stack; never call it on the main thread (see README).
/* global WebAssembly */
import { Buffer } from 'node:buffer';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { newQuickJSWASMModule, newVariant, RELEASE_SYNC } from 'quickjs-emscripten';
import { LOG_LEVELS, PRELUDE_FILENAME, PRELUDE_SOURCE } from './prelude.mjs';

const MiB = 1024 * 1024;
const WASM_PAGE_BYTES = 65536;
/** The prebuilt module declares 16 MiB of initial linear memory and cannot start smaller. */
const MIN_WASM_PAGES = 256;
/** Linear memory in use before any runtime exists: static data and Emscripten's 5 MiB stack (measured 5.1 MiB). */
const BASELINE_BYTES = 5.25 * MiB;
/** Emscripten grows the heap in steps of 5-20 % and gives up when a step overshoots the maximum. */
const GROWTH_SLACK = 1.05;
/** Held while a script runs and freed when it stops, so the host can still read results from a full heap. */
const RESERVE_BYTES = 1 * MiB;
/** QuickJS stack budget: 1/64 of the thread's native stack, which wasm frames of the parser need (README). */
export const MAX_STACK_BYTES = 512 * 1024;
/** Time granted to inspect a thrown value after the script stopped: its getters may run script code. */
const DESCRIBE_MS = 50;
/** Linear memory never shrinks: an instance that grew past this is dropped after the run, returning it to the OS. */
const RECYCLE_ABOVE_BYTES = 64 * MiB;
/** Frames kept in a reported stack (a stack overflow has thousands). */
const MAX_STACK_FRAMES = 50;
export const MAX_LOG_ENTRIES = 1000;
export const MAX_LOG_CHARS = 1 * MiB;
/** Live log entries leave the interpreter in batches: at most this often... */
export const LIVE_LOG_INTERVAL_MS = 100;
/** ...or once this many are waiting, so a chatty script costs a few messages, not one per line. */
export const LIVE_LOG_BATCH = 100;

/**
 * @typedef {{ code: string, filename: string, inputJson: string, ctxJson: string, timeoutMs: number, memoryBytes: number }} ThreadJob
 * @typedef {{ class: string, name?: string, message: string, stack?: string }} ErrorInfo
 * @typedef {{ ok: true, outputJson: string, logs: object[], durationMs: number } | { ok: false, error: ErrorInfo, logs: object[], durationMs: number }} ThreadResult
 */

/**
 * @param {{ report?: (message: string) => void }} [options] `report` hears about interpreter
 *   instances thrown away (a leaked handle, an internal error): each costs a few ms, and a leak is a bug.
 */
export async function createEngine(options = {}) {
  const report = options.report ?? (() => {});
  const wasmModule = await compileQuickJS();
  /** @type {Awaited<ReturnType<typeof createInstance>> | undefined} */
  let instance;

  return {
    /**
     * @param {ThreadJob} job
     * @param {{ onLogs?: (entries: object[]) => void }} [hooks] `onLogs` hears the entries the
     *   result keeps while the script runs, in batches (LIVE_LOG_INTERVAL_MS / LIVE_LOG_BATCH),
     *   the last batch before execute resolves.
     * @returns {Promise<ThreadResult>}
     */
    async execute(job, hooks = {}) {
      const started = performance.now();
      const needed = Buffer.byteLength(job.code) + Buffer.byteLength(job.inputJson) + Buffer.byteLength(job.ctxJson);
      if (needed > job.memoryBytes / 2) {
        return failed(memoryError(job.memoryBytes, 'the script and its input alone take half of it'), [], started);
      }
      if (!instance || instance.broken || instance.memoryBytes !== job.memoryBytes) {
        instance = undefined;
        try {
          instance = await createInstance(wasmModule, job.memoryBytes, report);
        } catch (error) {
          return failed({ class: 'SandboxCrashed', message: `could not start the interpreter: ${messageOf(error)}` }, [], started);
        }
      }
      const result = runScript(instance, job, started, hooks.onLogs);
      if (instance.memory.buffer.byteLength > RECYCLE_ABOVE_BYTES) instance = undefined;
      return result;
    },
  };
}

async function compileQuickJS() {
  // The variant quickjs-emscripten itself depends on; resolved from there so hoisting does not matter.
  const require = createRequire(import.meta.resolve('quickjs-emscripten'));
  const entry = require.resolve('@jitl/quickjs-wasmfile-release-sync');
  return WebAssembly.compile(await readFile(path.join(path.dirname(entry), 'emscripten-module.wasm')));
}

/**
 * One WebAssembly instance of QuickJS, sized for one memory limit. QuickJS's own
 * `setMemoryLimit` only bounds single allocations in this build (malloc_usable_size is 0 under
 * Emscripten, so its running total never grows), so the real cap is the maximum size of the
 * linear memory: when a script fills it, malloc fails and QuickJS throws "out of memory".
 * @param {WebAssembly.Module} wasmModule
 * @param {number} memoryBytes
 * @param {(message: string) => void} report
 */
async function createInstance(wasmModule, memoryBytes, report) {
  const budget = BASELINE_BYTES + memoryBytes + RESERVE_BYTES;
  const pages = Math.max(MIN_WASM_PAGES, Math.ceil((budget * GROWTH_SLACK) / WASM_PAGE_BYTES));
  const memory = new WebAssembly.Memory({ initial: MIN_WASM_PAGES, maximum: pages });
  const growth = { refused: 0 };
  const grow = memory.grow.bind(memory);
  memory.grow = (delta) => {
    try {
      return grow(delta);
    } catch (error) {
      growth.refused++;
      throw error;
    }
  };
  const qjs = await newQuickJSWASMModule(newVariant(RELEASE_SYNC, { wasmModule, wasmMemory: memory }));
  // Emscripten's allocator (private in quickjs-emscripten 0.32, used for the ballast and the reserve).
  /** @type {{ _malloc(n: number): number, _free(p: number): void } | undefined} */
  const heap = typeof qjs.module?._malloc === 'function' ? qjs.module : undefined;
  // Below 16 MiB the memory cannot shrink further: park the difference in a block never freed.
  const ballast = MIN_WASM_PAGES * WASM_PAGE_BYTES - budget;
  if (heap && pages === MIN_WASM_PAGES && ballast > 0) heap._malloc(ballast);
  const inst = { qjs, memory, heap, growth, memoryBytes, report, broken: false, reserve: 0 };
  acquireReserve(inst);
  return inst;
}

/** @param {{ heap?: { _malloc(n: number): number }, reserve: number, broken: boolean, report(message: string): void }} inst */
function acquireReserve(inst) {
  if (!inst.heap || inst.reserve) return;
  inst.reserve = inst.heap._malloc(RESERVE_BYTES);
  if (!inst.reserve) discard(inst, 'its heap did not come back after a runtime was freed');
}

/** @param {{ broken: boolean, report(message: string): void }} inst @param {string} why */
function discard(inst, why) {
  inst.broken = true;
  inst.report(`interpreter instance discarded: ${why}`);
}

/** @param {{ heap?: { _free(p: number): void }, reserve: number }} inst */
function releaseReserve(inst) {
  if (!inst.heap || !inst.reserve) return;
  inst.heap._free(inst.reserve);
  inst.reserve = 0;
}

/**
 * @param {Awaited<ReturnType<typeof createInstance>>} inst
 * @param {ThreadJob} job
 * @param {number} started
 * @param {((entries: object[]) => void) | undefined} onLogs
 * @returns {ThreadResult}
 */
function runScript(inst, job, started, onLogs) {
  const { timeoutMs, memoryBytes, filename } = job;
  const live = onLogs ? new LiveLogs(onLogs) : undefined;
  const logs = new LogSink(live);
  const refusedBefore = inst.growth.refused;
  let deadline = Date.now() + timeoutMs;
  let interrupted = false;
  /** @type {{ alive: boolean, dispose(): void }[]} */
  const handles = [];
  /** @template {{ alive: boolean, dispose(): void }} H @param {H} handle @returns {H} */
  const keep = (handle) => {
    handles.push(handle);
    return handle;
  };
  /** @type {import('quickjs-emscripten').QuickJSRuntime | undefined} */
  let rt;
  /** @type {import('quickjs-emscripten').QuickJSContext | undefined} */
  let ctx;
  /** @type {import('quickjs-emscripten').QuickJSHandle | undefined} */
  let describe;
  let hostFault = false;

  const timeout = () => failed({ class: 'SandboxTimeout', message: `script exceeded its time limit of ${timeoutMs} ms` }, logs.entries, started);

  /** Reads a string the interpreter produced; undefined when the copy failed for lack of memory. */
  const readString = (/** @type {import('quickjs-emscripten').QuickJSHandle} */ handle) => {
    const c = /** @type {import('quickjs-emscripten').QuickJSContext} */ (ctx);
    const length = c.getNumber(keep(c.getProp(handle, 'length')));
    const text = c.getString(handle);
    return text.length === length ? text : undefined;
  };

  /** Settles a promise by running the job queue; the interrupt handler keeps the deadline. */
  const settle = (/** @type {import('quickjs-emscripten').QuickJSHandle} */ promise) => {
    const c = /** @type {import('quickjs-emscripten').QuickJSContext} */ (ctx);
    const r = /** @type {import('quickjs-emscripten').QuickJSRuntime} */ (rt);
    for (;;) {
      const state = c.getPromiseState(promise);
      if (state.type === 'fulfilled') return { value: keep(state.value) };
      if (state.type === 'rejected') return { error: keep(state.error) };
      if (!r.hasPendingJob()) return { stalled: true };
      const jobs = r.executePendingJobs(-1);
      if (jobs.error) return { error: keep(jobs.error) };
      jobs.dispose();
    }
  };

  /** Turns whatever the script threw into the outcome's error. */
  const failure = (/** @type {import('quickjs-emscripten').QuickJSHandle} */ thrown, /** @type {'module' | 'call'} */ phase) => {
    if (interrupted) return timeout();
    releaseReserve(inst);
    const c = /** @type {import('quickjs-emscripten').QuickJSContext} */ (ctx);
    /** @type {{ isNull: boolean, isError: boolean, name?: string, message: string, stack?: string, fileName?: string } | undefined} */
    let info;
    if (describe) {
      deadline = Date.now() + DESCRIBE_MS;
      const described = c.callFunction(describe, c.undefined, thrown);
      if (described.error) keep(described.error);
      else {
        const text = readString(keep(described.value));
        if (text !== undefined) info = JSON.parse(text);
      }
    }
    const heapFull = inst.growth.refused > refusedBefore;
    if (!info || info.isNull) {
      if (heapFull || !info) return failed(memoryOrUnknown(heapFull, memoryBytes), logs.entries, started);
      return failed({ class: 'ScriptError', message: 'the script threw null' }, logs.entries, started);
    }
    if (info.name === 'InternalError' && info.message === 'out of memory') return failed(memoryError(memoryBytes), logs.entries, started);
    const stack = formatStack(info);
    if (phase === 'module' && info.name === 'SyntaxError' && info.fileName === filename) {
      return failed({ class: 'InvalidScript', name: info.name, message: info.message, stack }, logs.entries, started);
    }
    if (phase === 'module' && info.name === 'ReferenceError' && info.message.startsWith('could not load module')) {
      return failed({ class: 'InvalidScript', name: info.name, message: `scripts cannot import modules: ${info.message}` }, logs.entries, started);
    }
    return failed({ class: 'ScriptError', ...(info.isError ? { name: info.name } : {}), message: info.message, ...(stack ? { stack } : {}) }, logs.entries, started);
  };

  try {
    rt = inst.qjs.newRuntime();
    rt.setMemoryLimit(memoryBytes);
    rt.setMaxStackSize(MAX_STACK_BYTES);
    rt.setInterruptHandler(() => {
      const now = Date.now();
      if (now > deadline) interrupted = true;
      // A script that logged, then computes for a while: its lines still go out on time.
      live?.due(now);
      return interrupted;
    });
    ctx = rt.newContext();
    const c = ctx;

    const hostLog = keep(c.newFunction('hostLog', (level, message) => (logs.add(c.getNumber(level), c.getString(message)) ? c.true : c.false)));
    const setup = c.evalCode(PRELUDE_SOURCE, PRELUDE_FILENAME);
    if (setup.error) return failure(keep(setup.error), 'call');
    const api = c.callFunction(keep(setup.value), c.undefined, hostLog);
    if (api.error) return failure(keep(api.error), 'call');
    const run = keep(c.getProp(keep(api.value), 'run'));
    describe = keep(c.getProp(api.value, 'describe'));

    const evaluated = c.evalCode(job.code, filename, { type: 'module' });
    if (evaluated.error) return failure(keep(evaluated.error), 'module');
    let namespace = keep(evaluated.value);
    if (isPromise(c, namespace)) {
      // Top-level await: the module evaluates to a promise of its namespace.
      const loaded = settle(namespace);
      if (loaded.stalled) return interrupted ? timeout() : failed(neverSettled('the module body'), logs.entries, started);
      if (loaded.error) return failure(loaded.error, 'module');
      namespace = /** @type {import('quickjs-emscripten').QuickJSHandle} */ (loaded.value);
    }

    const called = c.callFunction(run, c.undefined, namespace, keep(c.newString(job.inputJson)), keep(c.newString(job.ctxJson)));
    if (called.error) return failure(keep(called.error), 'call');
    const settled = settle(keep(called.value));
    // An interrupt can kill an async function without settling its promise: that is a timeout too.
    if (settled.stalled) return interrupted ? timeout() : failed(neverSettled('the promise returned by the script'), logs.entries, started);
    if (settled.error) return failure(settled.error, 'call');

    releaseReserve(inst);
    const text = readString(/** @type {import('quickjs-emscripten').QuickJSHandle} */ (settled.value));
    if (text === undefined) return failed(memoryError(memoryBytes, 'its output does not fit'), logs.entries, started);
    const body = text.slice(1);
    switch (text[0]) {
      case 'J':
        return { ok: true, outputJson: body, logs: logs.entries, durationMs: performance.now() - started };
      case 'N':
        return failed({ class: 'OutputNotSerializable', message: `the script's output is not JSON-serializable: ${body}` }, logs.entries, started);
      default:
        return failed({ class: 'InvalidScript', message: body }, logs.entries, started);
    }
  } catch (error) {
    // An exception out of the interpreter itself: its state cannot be trusted any more.
    hostFault = true;
    discard(inst, `internal error: ${messageOf(error)}`);
    if (interrupted) return timeout();
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
      // Deep recursion in native code (the parser, JSON) overflowed the thread's stack.
      return failed({ class: 'ScriptError', name: 'InternalError', message: 'stack overflow' }, logs.entries, started);
    }
    return failed({ class: 'SandboxCrashed', message: `the interpreter failed: ${messageOf(error)}` }, logs.entries, started);
  } finally {
    live?.flush();
    if (!hostFault) {
      releaseReserve(inst);
      try {
        for (const handle of handles.reverse()) if (handle.alive) handle.dispose();
        ctx?.dispose();
        rt?.dispose();
      } catch (error) {
        discard(inst, `clean-up failed (leaked handle?): ${messageOf(error)}`);
      }
      if (!inst.broken) acquireReserve(inst);
    }
  }
}

/** getPromiseState hands out a new handle for a settled promise; dispose it, we only ask. */
function isPromise(/** @type {import('quickjs-emscripten').QuickJSContext} */ ctx, /** @type {import('quickjs-emscripten').QuickJSHandle} */ handle) {
  const state = ctx.getPromiseState(handle);
  if (state.notAPromise) return false;
  if (state.type === 'fulfilled') state.value.dispose();
  else if (state.type === 'rejected') state.error.dispose();
  return true;
}

/** Batches the entries a LogSink keeps for `onLogs`; the interpreter is synchronous, so no timers: `due` is polled. */
class LiveLogs {
  /** @type {object[]} */
  pending = [];
  lastFlush = 0;

  constructor(/** @type {(entries: object[]) => void} */ send) {
    this.send = send;
  }

  add(/** @type {object} */ entry) {
    this.pending.push(entry);
    if (this.pending.length >= LIVE_LOG_BATCH) this.flush();
    else this.due(Date.now());
  }

  /** Sends what waits if the last batch left long enough ago (the first entry goes at once). */
  due(/** @type {number} */ now) {
    if (this.pending.length > 0 && now - this.lastFlush >= LIVE_LOG_INTERVAL_MS) this.flush();
  }

  flush() {
    if (this.pending.length === 0) return;
    const entries = this.pending;
    this.pending = [];
    this.lastFlush = Date.now();
    try {
      this.send(entries);
    } catch {
      // Live display is best effort: the result still carries every entry.
    }
  }
}

class LogSink {
  /** @type {{ level: string, message: string, at: string }[]} */
  entries = [];
  chars = 0;
  full = false;

  constructor(/** @type {LiveLogs | undefined} */ live) {
    this.live = live;
  }

  /** @param {{ level: string, message: string, at: string }} entry */
  push(entry) {
    this.entries.push(entry);
    this.live?.add(entry);
  }

  /** @returns {boolean} whether further logs are wanted */
  add(/** @type {number} */ levelIndex, /** @type {string} */ message) {
    if (this.full) return false;
    const level = LOG_LEVELS[levelIndex] ?? 'log';
    const at = new Date().toISOString();
    const room = MAX_LOG_CHARS - this.chars;
    if (this.entries.length < MAX_LOG_ENTRIES && message.length <= room) {
      this.push({ level, message, at });
      this.chars += message.length;
      return true;
    }
    if (this.entries.length < MAX_LOG_ENTRIES && room > 0) this.push({ level, message: message.slice(0, room), at });
    this.push({
      level: 'warn',
      message: `log output truncated: a script may log ${MAX_LOG_ENTRIES} entries or ${MAX_LOG_CHARS} characters`,
      at,
    });
    this.full = true;
    return false;
  }
}

/** `Name: message` and the script's own frames (the prelude's are dropped). */
function formatStack(/** @type {{ name?: string, message: string, stack?: string, isError: boolean }} */ info) {
  if (!info.isError || info.stack === undefined) return undefined;
  const frames = info.stack.split('\n').filter((line) => line.trim() !== '' && !line.includes(PRELUDE_FILENAME));
  const shown = frames.slice(0, MAX_STACK_FRAMES);
  if (frames.length > shown.length) shown.push(`    ... ${frames.length - shown.length} more frames`);
  return [`${info.name}: ${info.message}`, ...shown].join('\n');
}

/** @returns {ErrorInfo} */
function memoryError(/** @type {number} */ memoryBytes, detail = '') {
  const size = memoryBytes % MiB === 0 ? `${memoryBytes / MiB} MiB` : `${memoryBytes} bytes`;
  return { class: 'SandboxMemoryLimit', message: `script exceeded its memory limit of ${size}${detail ? ` (${detail})` : ''}` };
}

/** @returns {ErrorInfo} */
function memoryOrUnknown(/** @type {boolean} */ heapFull, /** @type {number} */ memoryBytes) {
  return heapFull ? memoryError(memoryBytes) : { class: 'ScriptError', message: 'the script threw a value that could not be inspected' };
}

/** @returns {ErrorInfo} */
function neverSettled(/** @type {string} */ what) {
  return {
    class: 'ScriptError',
    message: `${what} never settled: nothing was left to run (the sandbox has no timers or I/O)`,
  };
}

/** @returns {ThreadResult} */
function failed(/** @type {ErrorInfo} */ error, /** @type {object[]} */ logs, /** @type {number} */ started) {
  return { ok: false, error, logs, durationMs: performance.now() - started };
}

function messageOf(/** @type {unknown} */ error) {
  return error instanceof Error ? error.message : String(error);
}
