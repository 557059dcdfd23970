import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxPool } from '../src/sandbox/index.ts';
import { errorOf, outputOf } from './outcomes.ts';

/**
 * The JavaScript sandbox runs in host processes that can die without taking this process
 * with them: each test kills, starves or hangs one and checks that only its invocation fails,
 * that the host is replaced, and that nothing is left behind.
 */
const MiB = 1024 * 1024;
const limits = { timeoutMs: 5000, memoryBytes: 16 * MiB };
const root = path.resolve(import.meta.dirname, '../../..');

/** A script that keeps its host busy for about `ms` (QuickJS has no timers), then returns `value`. */
const busy = (ms: number, value: unknown = 'done') => `export default () => { const end = Date.now() + ${ms}; while (Date.now() < end); return ${JSON.stringify(value)} }`;

/** Alive and not a zombie (a zombie's parent has not reaped it yet, which is a leak too). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Direct children of this process, zombies included. */
function children(): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid) found.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Every host started (pids() lists them once they exist) and ready for work. */
async function warm(pool: SandboxPool, size: number): Promise<number[]> {
  await Promise.all(Array.from({ length: size }, () => pool.run({ code: 'export default () => 1', input: null, ctx: {}, limits })));
  await until('every host to be up', () => pool.pids().length === size);
  return pool.pids();
}

describe('a host killed from outside', () => {
  it('fails only the invocation it was running, with SandboxCrashed, and is replaced', async () => {
    const diagnostics: string[] = [];
    const pool = new SandboxPool({ size: 1, onDiagnostic: (m) => diagnostics.push(m) });
    try {
      const [pid] = await warm(pool, 1);
      const running = pool.run({ code: busy(3000), input: null, ctx: {}, limits });
      await new Promise((resolve) => setTimeout(resolve, 150));
      process.kill(pid!, 'SIGKILL');
      const error = errorOf(await running, 'SandboxCrashed');
      expect(error.message).toBe('the sandbox process was killed by SIGKILL; it was replaced');
      expect(outputOf(await pool.run({ code: 'export default (n) => n + 1', input: 41, ctx: {}, limits }))).toBe(42);
      expect(pool.pids()).toHaveLength(1);
      expect(pool.pids()[0]).not.toBe(pid);
      await until('the killed host to be reaped', () => !alive(pid!));
      expect(diagnostics.some((m) => m.includes(`sandbox process ${pid} was killed by SIGKILL; replacing it`))).toBe(true);
    } finally {
      await pool.close();
    }
  });

  it('leaves the invocation on the other host alone', async () => {
    const pool = new SandboxPool({ size: 2 });
    try {
      await warm(pool, 2);
      const a = pool.run({ code: busy(700, 'a'), input: null, ctx: {}, limits });
      const b = pool.run({ code: busy(700, 'b'), input: null, ctx: {}, limits });
      await new Promise((resolve) => setTimeout(resolve, 150));
      process.kill(pool.pids()[0]!, 'SIGKILL');
      const outcomes = await Promise.all([a, b]);
      expect(outcomes.filter((o) => !o.ok).map((o) => !o.ok && o.error.class)).toEqual(['SandboxCrashed']);
      expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
    } finally {
      await pool.close();
    }
  });

  it('survives a burst of invocations while a host is killed: at most the one running there fails', async () => {
    const pool = new SandboxPool({ size: 2 });
    try {
      const before = await warm(pool, 2);
      const burst = Array.from({ length: 40 }, (_, i) => pool.run({ code: busy(15, i), input: null, ctx: {}, limits }));
      await new Promise((resolve) => setTimeout(resolve, 120));
      process.kill(before[1]!, 'SIGKILL');
      const outcomes = await Promise.all(burst);
      const failed = outcomes.filter((o) => !o.ok);
      expect(failed.length).toBeLessThanOrEqual(1);
      for (const o of failed) errorOf(o, 'SandboxCrashed');
      outcomes.forEach((o, i) => {
        if (o.ok) expect(o.output).toBe(i);
      });
      expect(outputOf(await pool.run({ code: 'export default () => "after"', input: null, ctx: {}, limits }))).toBe('after');
      await until('the pool to be back to two hosts', () => pool.pids().length === 2 && pool.pids().every(alive));
      expect(pool.pids()).not.toContain(before[1]);
      expect(pool.pids()).toContain(before[0]);
    } finally {
      await pool.close();
    }
  });
});

describe('scripts that misbehave', () => {
  let pool: SandboxPool;
  let pids: number[];
  beforeAll(async () => {
    pool = new SandboxPool({ size: 2, graceMs: 300 });
    pids = await warm(pool, 2);
  });
  afterAll(() => pool.close());

  it('stops an endless loop with SandboxTimeout, in the host, without replacing it', async () => {
    errorOf(await pool.run({ code: 'export default () => { for (;;) {} }', input: null, ctx: {}, limits: { ...limits, timeoutMs: 200 } }), 'SandboxTimeout');
    expect(outputOf(await pool.run({ code: 'export default () => "next"', input: null, ctx: {}, limits }))).toBe('next');
    expect(pool.pids().sort()).toEqual([...pids].sort());
  });

  it('stops memory exhaustion with SandboxMemoryLimit, in the host, without replacing it', async () => {
    const hog = 'export default () => { const a = []; for (;;) a.push(new Array(4096).fill(Math.random())) }';
    const outcome = await pool.run({ code: hog, input: null, ctx: {}, limits: { timeoutMs: 10_000, memoryBytes: 64 * MiB } });
    expect(errorOf(outcome, 'SandboxMemoryLimit').message).toBe('script exceeded its memory limit of 64 MiB');
    expect(outputOf(await pool.run({ code: 'export default () => "next"', input: null, ctx: {}, limits }))).toBe('next');
    expect(pool.pids().sort()).toEqual([...pids].sort());
  });
});

describe('hosts that crash or hang outside the interpreter', () => {
  // Fault injection: a thread entry wrapping the real one that, on marker scripts, aborts the
  // whole host process (as a native crash would), exhausts its memory, or blocks its event loop.
  let dir: string;
  let faulty: SandboxPool;
  const hello = () => faulty.run({ code: 'export default (n) => n + 1', input: 1, ctx: {}, limits });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'orvanta-host-'));
    const entry = path.join(dir, 'faulty-thread.mjs');
    const real = new URL('../src/sandbox/thread.mjs', import.meta.url).href;
    await writeFile(
      entry,
      `import { parentPort } from 'node:worker_threads';
      parentPort.on('message', (m) => {
        if (m?.type !== 'run') return;
        if (m.job.code.includes('@@abort')) process.kill(process.pid, 'SIGABRT');
        if (m.job.code.includes('@@oom')) { const keep = []; for (;;) keep.push(new Array(1e6).fill(keep.length)); }
        if (m.job.code.includes('@@hang')) { const end = Date.now() + 60_000; while (Date.now() < end); }
      });
      await import(${JSON.stringify(real)});`,
    );
    faulty = new SandboxPool({ size: 2, graceMs: 200, threadEntry: pathToFileURL(entry) });
    await warm(faulty, 2);
  });
  afterAll(async () => {
    await faulty.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('fails the invocation of a host that aborted, and replaces it', async () => {
    const before = faulty.pids();
    const error = errorOf(await faulty.run({ code: '/* @@abort */ export default () => 1', input: null, ctx: {}, limits }), 'SandboxCrashed');
    expect(error.message).toMatch(/killed by SIGABRT/);
    expect((await Promise.all([hello(), hello(), hello()])).map(outputOf)).toEqual([2, 2, 2]);
    await until('the crashed host to be replaced', () => faulty.pids().length === 2 && before.filter((pid) => faulty.pids().includes(pid)).length === 1);
  });

  it('fails the invocation of a thread that ran out of memory outside the interpreter', async () => {
    const outcome = await faulty.run({ code: '/* @@oom */ export default () => 1', input: null, ctx: {}, limits: { ...limits, timeoutMs: 30_000 } });
    expect(errorOf(outcome, 'SandboxCrashed').message).toBe('the sandbox process ran out of memory outside the interpreter; it was replaced');
    expect(outputOf(await hello())).toBe(2);
  }, 60_000);

  it('kills a host silent past deadline + grace, and replaces it', async () => {
    const before = faulty.pids();
    const hung = faulty.run({ code: '/* @@hang */ export default () => 1', input: null, ctx: {}, limits: { ...limits, timeoutMs: 100 } });
    expect(outputOf(await hello())).toBe(2);
    expect(errorOf(await hung, 'SandboxCrashed').message).toBe('the sandbox process did not answer within 300 ms; it was replaced');
    const gone = before.filter((pid) => !faulty.pids().includes(pid));
    expect(gone).toHaveLength(1);
    await until('the hung host to be killed', () => !alive(gone[0]!));
    expect(outputOf(await hello())).toBe(2);
  });
});

describe('lifecycle', () => {
  it('close() kills every host, and leaves no child process behind', async () => {
    const pool = new SandboxPool({ size: 3 });
    const pids = await warm(pool, 3);
    for (const pid of pids) expect(children()).toContain(pid);
    await pool.close();
    expect(pids.filter(alive)).toEqual([]);
    expect(children().filter((pid) => pids.includes(pid))).toEqual([]);
  });

  it('hosts die with the process that owns the pool, even when it is killed with SIGKILL', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'orvanta-owner-'));
    try {
      const script = path.join(dir, 'owner.mts');
      const poolModule = pathToFileURL(path.join(root, 'services/dataplane/src/sandbox/index.ts')).href;
      await writeFile(
        script,
        `import { SandboxPool } from ${JSON.stringify(poolModule)};
        const pool = new SandboxPool({ size: 2 });
        const limits = { timeoutMs: 20000, memoryBytes: 16 * 1024 * 1024 };
        await pool.run({ code: 'export default () => 1', input: null, ctx: {}, limits });
        await pool.run({ code: 'export default () => 1', input: null, ctx: {}, limits });
        // One host busy, one idle, when the owner dies.
        const busy = pool.run({ code: 'export default () => { for (;;) {} }', input: null, ctx: {}, limits });
        console.log(JSON.stringify(pool.pids()));
        await busy;`,
      );
      const owner = spawn(process.execPath, ['--import', 'tsx', script], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: owner.stdout! }).once('line', resolve);
        owner.once('exit', (code) => reject(new Error(`owner exited with ${code}`)));
      });
      const pids = JSON.parse(line) as number[];
      expect(pids).toHaveLength(2);
      expect(pids.every(alive)).toBe(true);
      owner.kill('SIGKILL');
      await until('the orphaned hosts to exit', () => !pids.some(alive));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
