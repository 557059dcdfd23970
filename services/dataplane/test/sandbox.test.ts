import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxPool, type ScriptInvocation, type ScriptOutcome } from '../src/sandbox/index.ts';
import { errorOf, outputOf } from './outcomes.ts';

const MiB = 1024 * 1024;
const limits = { timeoutMs: 300, memoryBytes: 16 * MiB };

let pool: SandboxPool;
const diagnostics: string[] = [];

beforeAll(() => {
  pool = new SandboxPool({ size: 2, onDiagnostic: (message) => diagnostics.push(message) });
});
afterAll(() => pool.close());

function run(code: string, input: unknown = null, more: Partial<ScriptInvocation> = {}): Promise<ScriptOutcome> {
  return pool.run({ code, input, ctx: {}, limits, filename: 'node1.js', ...more });
}

describe('running scripts', () => {
  it('runs the hello scripts', async () => {
    expect(outputOf(await run('export default (input) => ({ n: input * 2 })', 20))).toEqual({ n: 40 });
    const inc = await pool.run({
      code: 'export default (input, ctx) => ({ n: input.n + 1, from: ctx.node.id })',
      input: { n: 40 },
      ctx: { node: { id: 'inc' } },
      limits,
    });
    expect(outputOf(inc)).toEqual({ n: 41, from: 'inc' });
    expect(inc.durationMs).toBeGreaterThan(0);
  });

  it('awaits an async default export and top-level await', async () => {
    const code = `
      const base = await Promise.resolve(10);
      export default async (input) => {
        const a = await Promise.resolve(input.n);
        const b = await new Promise((resolve) => Promise.resolve().then(() => resolve(2)));
        return { sum: base + a + b };
      };`;
    expect(outputOf(await run(code, { n: 5 }))).toEqual({ sum: 17 });
  });

  it('gives every invocation a fresh interpreter', async () => {
    expect(outputOf(await run('globalThis.leak = 1; Object.prototype.polluted = 1; export default () => 1'))).toBe(1);
    expect(outputOf(await run('export default () => [typeof leak, typeof ({}).polluted]'))).toEqual(['undefined', 'undefined']);
  });

  it('returns undefined as null and JSON semantics for the rest', async () => {
    expect(outputOf(await run('export default () => undefined'))).toBeNull();
    expect(outputOf(await run('export default () => ({ d: new Date(0), u: undefined, a: [undefined, NaN] })'))).toEqual({
      d: '1970-01-01T00:00:00.000Z',
      a: [null, null],
    });
  });
});

describe('console', () => {
  it('captures every level, formatted roughly as Node does', async () => {
    const before = Date.now();
    const outcome = await run(`
      export default () => {
        console.log('plain', 1, { a: [1, 'x'] }, undefined, null);
        console.info('info');
        console.warn(new TypeError('careful'));
        console.error(() => 1, 10n);
        console.debug('debug');
        return 'done';
      }`);
    expect(outputOf(outcome)).toBe('done');
    expect(outcome.logs.map((l) => [l.level, l.message.split('\n')[0]])).toEqual([
      ['log', 'plain 1 {"a":[1,"x"]} undefined null'],
      ['info', 'info'],
      ['warn', 'TypeError: careful'],
      ['error', '[Function: (anonymous)] 10n'],
      ['debug', 'debug'],
    ]);
    expect(outcome.logs[2]!.message).toMatch(/at default \(node1\.js:5:/);
    expect(outcome.logs[2]!.message).not.toContain('<sandbox>');
    for (const entry of outcome.logs) {
      expect(new Date(entry.at).toISOString()).toBe(entry.at);
      expect(Date.parse(entry.at)).toBeGreaterThanOrEqual(before - 1000);
    }
  });

  it('keeps logs of a failed script', async () => {
    const outcome = await run("export default () => { console.log('before'); throw new Error('after') }");
    errorOf(outcome, 'ScriptError');
    expect(outcome.logs.map((l) => l.message)).toEqual(['before']);
  });

  it('caps the volume with one truncation notice', async () => {
    const many = await run('export default () => { for (let i = 0; i < 5000; i++) console.log("line " + i); return 1 }');
    expect(outputOf(many)).toBe(1);
    expect(many.logs).toHaveLength(1001);
    expect(many.logs[999]!.message).toBe('line 999');
    expect(many.logs[1000]).toMatchObject({ level: 'warn', message: expect.stringMatching(/truncated/) });

    const big = await run('export default () => { console.log("x".repeat(3 * 1024 * 1024)); console.log("after"); return 1 }');
    expect(outputOf(big)).toBe(1);
    expect(big.logs).toHaveLength(2);
    expect(big.logs[0]!.message).toHaveLength(MiB);
    expect(big.logs[1]!.message).toMatch(/truncated/);
  });
});

describe('script errors', () => {
  it('reports a throw with name, message and a stack in the script file', async () => {
    const code = ['export default () => {', '  const order = {};', "  throw new TypeError('boom: bad order');", '};'].join('\n');
    const error = errorOf(await run(code), 'ScriptError');
    expect(error).toMatchObject({ name: 'TypeError', message: 'boom: bad order' });
    expect(error.stack).toMatch(/^TypeError: boom: bad order\n\s+at default \(node1\.js:3:\d+\)/);
    expect(error.stack).not.toContain('<sandbox>');
  });

  it('reports a rejection after an await, and non-Error throws', async () => {
    const late = errorOf(await run('export default async () => { await null; throw new RangeError("late") }'), 'ScriptError');
    expect(late).toMatchObject({ name: 'RangeError', message: 'late' });
    expect(errorOf(await run('export default () => { throw "plain" }'), 'ScriptError').message).toBe('plain');
    expect(errorOf(await run('export default () => { throw { code: 42 } }'), 'ScriptError').message).toBe('{"code":42}');
  });

  it('reports a throw in the module body', async () => {
    expect(errorOf(await run("throw new Error('top'); export default () => 1"), 'ScriptError')).toMatchObject({ name: 'Error', message: 'top' });
  });

  it('reports a promise that can never settle', async () => {
    expect(errorOf(await run('export default () => new Promise(() => {})'), 'ScriptError').message).toMatch(/never settled/);
  });

  it('reports a stack overflow as a script error', async () => {
    const error = errorOf(await run('function f(n) { return f(n + 1) + 1 } export default () => f(0)'), 'ScriptError');
    expect(error).toMatchObject({ name: 'InternalError', message: 'stack overflow' });
    expect(error.stack!.split('\n').length).toBeLessThanOrEqual(52);
    const parser = errorOf(await run('export default () => eval("(".repeat(100000) + "1" + ")".repeat(100000))'), 'ScriptError');
    expect(parser.message).toBe('stack overflow');
  });
});

describe('invalid scripts', () => {
  it('rejects a syntax error', async () => {
    const error = errorOf(await run('export default (input) => {\n  return input +;\n}'), 'InvalidScript');
    expect(error.name).toBe('SyntaxError');
    expect(error.message).toMatch(/unexpected token/);
    expect(error.stack).toContain('node1.js:2');
  });

  it('rejects a module without a default export function', async () => {
    expect(errorOf(await run('export const x = 1'), 'InvalidScript').message).toMatch(/default export is missing/);
    expect(errorOf(await run('export default 42'), 'InvalidScript').message).toMatch(/default export is a number/);
  });
});

describe('output', () => {
  it.each([
    ['a function', 'export default () => ({ f() {} })', /function .*key "f"/],
    ['a cycle', 'export default () => { const a = {}; a.self = a; return a }', /circular/],
    ['a BigInt', 'export default () => ({ n: 1n })', /bigint/],
    ['a function at the top', 'export default () => () => 1', /function/],
  ])('refuses %s', async (_what, code, message) => {
    expect(errorOf(await run(code), 'OutputNotSerializable').message).toMatch(message);
  });
});

describe('isolation from the host', () => {
  it('exposes no process, require, network or timers', async () => {
    const code = `export default () => ({
      globals: [typeof process, typeof require, typeof module, typeof fetch, typeof setTimeout, typeof setInterval,
        typeof queueMicrotask, typeof WebAssembly, typeof std, typeof os, typeof Buffer],
      viaFunction: Function('return typeof process')(),
      viaConstructor: ({}).constructor.constructor('return typeof require')(),
    })`;
    expect(outputOf(await run(code))).toEqual({
      globals: Array(11).fill('undefined'),
      viaFunction: 'undefined',
      viaConstructor: 'undefined',
    });
  });

  it('refuses imports', async () => {
    const error = errorOf(await run("import fs from 'node:fs'; export default () => fs"), 'InvalidScript');
    expect(error.message).toMatch(/cannot import modules.*node:fs/);
    expect(errorOf(await run("export default async () => (await import('node:child_process')).execSync('id')"), 'ScriptError').message).toMatch(
      /could not load module/,
    );
  });

  it('cannot be fooled by a script patching JSON', async () => {
    expect(outputOf(await run("JSON.stringify = () => '\"forged\"'; export default () => ({ real: true })"))).toEqual({ real: true });
  });
});

describe('limits', () => {
  it('stops an endless loop at the time limit and keeps serving', async () => {
    const started = performance.now();
    const outcome = await run('export default () => { for (;;) {} }');
    const elapsed = performance.now() - started;
    expect(errorOf(outcome, 'SandboxTimeout').message).toBe('script exceeded its time limit of 300 ms');
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1500);
    expect(outputOf(await run('export default (n) => n + 1', 1))).toBe(2);
  });

  it('stops an endless promise chain and a loop that catches', async () => {
    errorOf(await run('export default async () => { for (;;) await null }'), 'SandboxTimeout');
    errorOf(await run('export default () => { for (;;) { try { for (;;) {} } catch {} } }'), 'SandboxTimeout');
  });

  it('serves other invocations and never blocks the event loop while a thread spins', async () => {
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    try {
      const started = performance.now();
      const spinning = run('export default () => { for (;;) {} }', null, { limits: { ...limits, timeoutMs: 800 } });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const ticksBefore = ticks;
      const quick = await run('export default (n) => n * 3', 7);
      const quickDone = performance.now() - started;
      expect(outputOf(quick)).toBe(21);
      expect(quickDone).toBeLessThan(500);
      errorOf(await spinning, 'SandboxTimeout');
      // ~75 ticks fit in 750 ms; a blocked loop would manage almost none.
      expect(ticks - ticksBefore).toBeGreaterThan(30);
    } finally {
      clearInterval(ticker);
    }
  });

  it.each([
    ['strings', "export default () => { const a = []; for (;;) a.push('x'.repeat(1024)) }"],
    ['arrays', 'export default () => { const a = []; for (;;) a.push(new Array(1000).fill(1)) }'],
    ['small objects in a map', 'export default () => { const m = new Map(); for (let i = 0; ; i++) m.set(i, { i }) }'],
    ['a global that outlives the throw', 'export default () => { globalThis.keep = []; for (;;) keep.push({ x: Math.random() }) }'],
    ['concatenated strings', 'export default () => { let s = ""; for (;;) { s += "abcdefgh"; if (s.length % 100000 === 0) s.charCodeAt(5) } }'],
    ['one huge array', 'export default () => new Array(1e8).fill(0)'],
    ['typed arrays', 'export default () => { const a = []; for (;;) a.push(new Uint8Array(65536)) }'],
  ])('stops unbounded allocation of %s at the memory limit', async (_what, code) => {
    const outcome = await run(code, null, { limits: { timeoutMs: 5000, memoryBytes: 16 * MiB } });
    expect(errorOf(outcome, 'SandboxMemoryLimit').message).toBe('script exceeded its memory limit of 16 MiB');
    expect(outcome.durationMs).toBeLessThan(5000);
  });

  it('enforces the limit as a total, not per allocation, and serves again afterwards', async () => {
    // 12 MiB in 1 KiB strings passes under 32 MiB and fails under 8 MiB.
    const code = "export default () => { const a = []; for (let i = 0; i < 12 * 1024; i++) a.push('y'.repeat(1000) + i); return a.length }";
    expect(outputOf(await run(code, null, { limits: { timeoutMs: 5000, memoryBytes: 32 * MiB } }))).toBe(12 * 1024);
    expect(errorOf(await run(code, null, { limits: { timeoutMs: 5000, memoryBytes: 8 * MiB } }), 'SandboxMemoryLimit').message).toMatch(/8 MiB/);
    expect(outputOf(await run('export default () => "fine"', null, { limits: { timeoutMs: 5000, memoryBytes: 8 * MiB } }))).toBe('fine');
  });

  it('lets a script recover from an allocation failure it catches', async () => {
    const code = 'export default () => { let a = []; try { for (;;) a.push(new Array(1000).fill(1)) } catch (e) { a = null; return e.message } }';
    expect(outputOf(await run(code, null, { limits: { timeoutMs: 5000, memoryBytes: 16 * MiB } }))).toBe('out of memory');
  });

  it('refuses input that cannot fit in the memory limit', async () => {
    const outcome = await run('export default (s) => s.length', 'z'.repeat(9 * MiB));
    expect(errorOf(outcome, 'SandboxMemoryLimit').message).toMatch(/input/);
  });
});

describe('the pool', () => {
  it('rejects misuse instead of running', async () => {
    await expect(pool.run({ code: 'export default () => 1', input: null, ctx: {}, limits: { timeoutMs: 0, memoryBytes: 16 * MiB } })).rejects.toThrow(
      RangeError,
    );
    await expect(pool.run({ code: 'export default () => 1', input: 1n, ctx: {}, limits })).rejects.toThrow(/input is not JSON/);
    const closed = new SandboxPool({ size: 1 });
    await closed.close();
    await expect(closed.run({ code: 'export default () => 1', input: null, ctx: {}, limits })).rejects.toThrow(/closed/);
  });

  it('queues invocations when every thread is busy', async () => {
    const small = new SandboxPool({ size: 1 });
    try {
      const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => small.run({ code: 'export default (n) => n * n', input: i, ctx: {}, limits })));
      expect(outcomes.map(outputOf)).toEqual(Array.from({ length: 20 }, (_, i) => i * i));
    } finally {
      await small.close();
    }
  });

  describe('with a thread that dies or hangs outside the interpreter', () => {
    // Fault injection: a thread entry that wraps the real one and, on marker scripts, exits or
    // blocks its own event loop in host code, which no QuickJS interrupt can stop.
    let dir: string;
    let faulty: SandboxPool;
    const replaced: string[] = [];

    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'orvanta-sandbox-'));
      const entry = path.join(dir, 'faulty-thread.mjs');
      const real = new URL('../src/sandbox/thread.mjs', import.meta.url).href;
      await writeFile(
        entry,
        `import { parentPort } from 'node:worker_threads';
        parentPort.on('message', (m) => {
          if (m?.type !== 'run') return;
          if (m.job.code.includes('@@exit')) process.exit(3);
          if (m.job.code.includes('@@hang')) { const end = Date.now() + 60_000; while (Date.now() < end); }
        });
        await import(${JSON.stringify(real)});`,
      );
      faulty = new SandboxPool({ size: 2, graceMs: 200, threadEntry: pathToFileURL(entry), onDiagnostic: (m) => replaced.push(m) });
    });
    afterAll(async () => {
      await faulty.close();
      await rm(dir, { recursive: true, force: true });
    });

    const hello = () => faulty.run({ code: 'export default (n) => n + 1', input: 1, ctx: {}, limits });

    it('fails the invocation of a thread that died and replaces the thread', async () => {
      expect(outputOf(await hello())).toBe(2);
      const error = errorOf(await faulty.run({ code: '/* @@exit */ export default () => 1', input: null, ctx: {}, limits }), 'SandboxCrashed');
      expect(error.message).toMatch(/exited with code 3/);
      const after = await Promise.all([hello(), hello(), hello(), hello()]);
      expect(after.map(outputOf)).toEqual([2, 2, 2, 2]);
      expect(replaced.some((m) => /exited with code 3/.test(m))).toBe(true);
    });

    it('terminates a thread silent past deadline + grace, serving others meanwhile', async () => {
      const started = performance.now();
      const hung = faulty.run({ code: '/* @@hang */ export default () => 1', input: null, ctx: {}, limits: { ...limits, timeoutMs: 100 } });
      expect(outputOf(await hello())).toBe(2);
      const error = errorOf(await hung, 'SandboxCrashed');
      const elapsed = performance.now() - started;
      expect(error.message).toMatch(/did not answer within 300 ms/);
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(3000);
      const after = await Promise.all([hello(), hello(), hello()]);
      expect(after.map(outputOf)).toEqual([2, 2, 2]);
    });
  });
});

describe('hygiene', () => {
  // Runs last: a leaked QuickJS handle makes the runtime's disposal abort, which the thread
  // reports before discarding its interpreter. None of the scripts above may cause that.
  it('never had to discard an interpreter or replace a thread of the main pool', () => {
    expect(diagnostics).toEqual([]);
  });
});
