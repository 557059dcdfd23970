import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSubprocessTools, SandboxPool, SubprocessSandbox, type LogEntry, type ScriptInvocation, type ScriptOutcome } from '../src/sandbox/index.ts';

/**
 * `onLog`: a script's log entries reach the caller while it runs, not only in the outcome,
 * with the same caps, for JavaScript (interpreter thread → host process → pool) and for python
 * and shell (their stdout/stderr lines as they arrive).
 */
const MiB = 1024 * 1024;

let pool: SandboxPool;
const diagnostics: string[] = [];

beforeAll(async () => {
  const subprocess = new SubprocessSandbox(await findSubprocessTools(['python', 'shell']));
  pool = new SandboxPool({ size: 1, languages: ['javascript', 'python', 'shell'], subprocess, onDiagnostic: (message) => diagnostics.push(message) });
});
afterAll(async () => {
  await pool.close();
  expect(diagnostics).toEqual([]);
});

/** Runs a script, noting when each live entry arrived (on this process's clock, like `at`). */
async function live(invocation: Partial<ScriptInvocation> & { code: string }) {
  const received: { entry: LogEntry; receivedAt: number }[] = [];
  let resolvedAt = 0;
  const outcome: ScriptOutcome = await pool
    .run({ input: null, ctx: {}, limits: { timeoutMs: 10_000, memoryBytes: 32 * MiB }, ...invocation, onLog: (entry) => received.push({ entry, receivedAt: Date.now() }) })
    .then((o) => {
      resolvedAt = Date.now();
      return o;
    });
  return { outcome, received, resolvedAt };
}

/** A JavaScript busy wait: the sandbox has no timers. */
const spin = (ms: number) => `{ const until = Date.now() + ${ms}; while (Date.now() < until); }`;

describe('JavaScript', () => {
  it('hands over a line while the script is still running, then every kept line in order', async () => {
    const { outcome, received, resolvedAt } = await live({
      code: `export default () => { console.log('first'); ${spin(600)} console.warn('second', { n: 2 }); ${spin(300)} return 'done'; }`,
    });
    expect(outcome.ok).toBe(true);
    expect(received.map((r) => r.entry)).toEqual(outcome.logs);
    expect(outcome.logs.map((l) => [l.level, l.message])).toEqual([
      ['log', 'first'],
      ['warn', 'second {"n":2}'],
    ]);
    const [first, second] = received;
    // The first line left the interpreter while it was still spinning before the second.
    expect(first!.receivedAt).toBeLessThan(Date.parse(second!.entry.at));
    expect(second!.receivedAt).toBeLessThanOrEqual(resolvedAt);
  });

  it('sends lines logged just before a long computation without waiting for the next log call', async () => {
    const { received, outcome } = await live({
      // Two lines in a burst: the second is held back by the batch interval, then sent from the
      // interrupt handler while the script computes.
      code: `export default () => { console.log('a'); console.log('b'); ${spin(800)} console.log('c'); return 1; }`,
    });
    expect(outcome.ok).toBe(true);
    const b = received.find((r) => r.entry.message === 'b')!;
    const c = received.find((r) => r.entry.message === 'c')!;
    expect(b.receivedAt).toBeLessThan(Date.parse(c.entry.at));
  });

  it('keeps the caps: the live lines are the outcome’s, truncation notice included', async () => {
    const { outcome, received } = await live({ code: `export default () => { for (let i = 0; i < 5000; i++) console.log('line ' + i); return 1; }` });
    expect(outcome.logs).toHaveLength(1001);
    expect(outcome.logs.at(-1)!.message).toContain('log output truncated');
    expect(received.map((r) => r.entry)).toEqual(outcome.logs);
  });

  it('delivers the lines of a failing or timed-out script too', async () => {
    const failed = await live({ code: `export default () => { console.error('about to fail'); throw new Error('boom'); }` });
    expect(failed.outcome.ok).toBe(false);
    expect(failed.received.map((r) => r.entry.message)).toEqual(['about to fail']);
    const timedOut = await live({ code: `export default () => { console.log('spinning'); for (;;); }`, limits: { timeoutMs: 300, memoryBytes: 32 * MiB } });
    expect(timedOut.outcome.ok || timedOut.outcome.error.class).toBe('SandboxTimeout');
    expect(timedOut.received.map((r) => r.entry.message)).toEqual(['spinning']);
  });

  it('survives a listener that throws, and costs nothing without one', async () => {
    const outcome = await pool.run({
      code: `export default () => { console.log('x'); console.log('y'); return 2; }`,
      input: null,
      ctx: {},
      limits: { timeoutMs: 1000, memoryBytes: 16 * MiB },
      onLog: () => {
        throw new Error('listener bug');
      },
    });
    expect(outcome.ok && outcome.output).toBe(2);
    expect(outcome.logs.map((l) => l.message)).toEqual(['x', 'y']);
    const plain = await pool.run({ code: `export default () => { console.log('z'); return 3; }`, input: null, ctx: {}, limits: { timeoutMs: 1000, memoryBytes: 16 * MiB } });
    expect(plain.logs.map((l) => l.message)).toEqual(['z']);
  });
});

describe('python and shell', () => {
  it('hands over python stdout and stderr lines as they are printed', async () => {
    const { outcome, received } = await live({
      language: 'python',
      filename: 'n.py',
      code: 'import sys, time\ndef main(input, ctx):\n    print("first")\n    time.sleep(0.6)\n    print("oops", file=sys.stderr)\n    time.sleep(0.2)\n    return 1\n',
    });
    expect(outcome.ok).toBe(true);
    expect(received.map((r) => r.entry)).toEqual(outcome.logs);
    expect(outcome.logs.map((l) => [l.level, l.message])).toEqual([
      ['log', 'first'],
      ['error', 'oops'],
    ]);
    expect(received[0]!.receivedAt).toBeLessThan(Date.parse(received[1]!.entry.at));
  });

  it('hands over shell stderr lines as they are written, within the caps', async () => {
    const { outcome, received } = await live({ language: 'shell', filename: 'n.sh', code: 'echo "first" >&2\nsleep 0.6\necho "second" >&2\necho 42\n' });
    expect(outcome.ok && outcome.output).toBe(42);
    expect(received.map((r) => r.entry.message)).toEqual(['first', 'second']);
    expect(received[0]!.receivedAt).toBeLessThan(Date.parse(received[1]!.entry.at));

    const chatty = await live({ language: 'shell', filename: 'c.sh', code: 'for i in $(seq 1 1500); do echo "line $i" >&2; done\necho 1\n' });
    expect(chatty.outcome.logs).toHaveLength(1001);
    expect(chatty.received.map((r) => r.entry)).toEqual(chatty.outcome.logs);
  });
});
