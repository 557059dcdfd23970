import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluate, ExpressionError, truthy } from '../src/engine/expressions.ts';
import { HttpNodeError, isPrivateAddress, runHttpNode } from '../src/engine/http-node.ts';
import { nextRetryDelay } from '../src/engine/retry.ts';

describe('retry policy', () => {
  it('tries as often as `attempts` says, with exponential or fixed backoff capped at maxDelayMs', () => {
    const policy = { attempts: 4, delayMs: 100, maxDelayMs: 250 };
    expect([1, 2, 3].map((a) => nextRetryDelay(policy, a, 'ScriptError'))).toEqual([100, 200, 250]);
    expect(nextRetryDelay(policy, 4, 'ScriptError')).toBeNull();
    expect(nextRetryDelay({ attempts: 3, backoff: 'fixed', delayMs: 70 }, 2, 'Timeout')).toBe(70);
    expect(nextRetryDelay(undefined, 1, 'ScriptError')).toBeNull();
  });

  it('never retries what cannot succeed, and only the listed classes when `on` is given', () => {
    expect(nextRetryDelay({ attempts: 5 }, 1, 'InvalidScript')).toBeNull();
    expect(nextRetryDelay({ attempts: 5 }, 1, 'HttpClientError')).toBeNull();
    expect(nextRetryDelay({ attempts: 5, on: ['HttpServerError'] }, 1, 'ScriptError')).toBeNull();
    expect(nextRetryDelay({ attempts: 5, on: ['HttpServerError'] }, 1, 'HttpServerError')).toBe(1000);
  });
});

describe('expressions', () => {
  it('evaluate JSONata to plain JSON, with bindings', async () => {
    expect(await evaluate('items[price > 1].name', { items: [{ name: 'a', price: 1 }, { name: 'b', price: 2 }] })).toBe('b');
    expect(await evaluate('$ctx.attempt + n', { n: 1 }, { bindings: { ctx: { attempt: 2 } } })).toBe(3);
    expect(await evaluate('missing', {})).toBeNull();
  });

  it('stop a runaway expression and report bad ones as ExpressionError', async () => {
    await expect(evaluate('( $f := function($n) { $f($n + 1) }; $f(0) )', {}, { maxDepth: 200 })).rejects.toBeInstanceOf(ExpressionError);
    await expect(evaluate('$count(', {})).rejects.toThrow(/invalid expression/);
    await expect(evaluate('$number("x") + 1', {})).rejects.toBeInstanceOf(ExpressionError);
  });

  it('use JSONata truthiness for `when`', () => {
    expect([[], '', 0, null, false].map(truthy)).toEqual([false, false, false, false, false]);
    expect([[0], 'x', 1, {}, true].map(truthy)).toEqual([true, true, true, true, true]);
  });
});

describe('http node egress policy', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => server.close());

  it('knows private, loopback and metadata addresses', () => {
    for (const a of ['10.1.2.3', '127.0.0.1', '169.254.169.254', '172.20.0.1', '192.168.1.1', '100.64.0.1', '::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1']) expect(isPrivateAddress(a), a).toBe(true);
    for (const a of ['8.8.8.8', '1.1.1.1', '2606:4700::1111']) expect(isPrivateAddress(a), a).toBe(false);
  });

  it('refuses private addresses by literal and by name unless the policy allows them', async () => {
    const node = (url: string) => ({ id: 'h', application: 'x', request: { url } });
    const scope = { input: {}, ctx: {}, secrets: {} };
    const denied = { allowPrivate: false, timeoutMs: 2000 };
    for (const url of [`http://127.0.0.1:${port}/`, `http://localhost:${port}/`, 'http://169.254.169.254/latest/meta-data/', `http://[::1]:${port}/`]) {
      const err = await runHttpNode(node(url), scope, denied).catch((e: unknown) => e);
      expect(err, url).toBeInstanceOf(HttpNodeError);
      expect((err as HttpNodeError).errorClass, url).toBe('EgressDenied');
    }
    expect((await runHttpNode(node(`http://localhost:${port}/`), scope, { allowPrivate: true, timeoutMs: 2000 })).body).toBe('ok');
  });

  it('refuses schemes other than http and https', async () => {
    const err = await runHttpNode({ id: 'h', application: 'x', request: { url: 'file:///etc/passwd' } }, { input: {}, ctx: {}, secrets: {} }, { allowPrivate: true, timeoutMs: 1000 }).catch((e: unknown) => e);
    expect((err as HttpNodeError).errorClass).toBe('InvalidInput');
  });
});

describe('fair share', () => {
  it("pushes back a flooding tenant's later jobs, not a quiet tenant's next one", async () => {
    const { FairShare } = await import('../src/engine/queue.ts');
    const fair = new FairShare(1_000);
    const flood = Array.from({ length: 500 }, () => fair.priorityFor('noisy', 0));
    expect(flood[0]).toBe(1);
    expect(flood.at(-1)).toBe(500);
    expect(fair.priorityFor('quiet', 10)).toBe(1);
    // No window that starts the flood's count again: it decays (half-life 1 s)...
    expect(fair.priorityFor('noisy', 2_000)).toBe(126);
    // ...down to the front of the queue once the tenant has been quiet for a while.
    expect(fair.priorityFor('noisy', 60_000)).toBe(1);
  });

  it('keeps a quiet tenant ahead of one that keeps flooding, however long it lasts', async () => {
    const { FairShare } = await import('../src/engine/queue.ts');
    const fair = new FairShare(30_000);
    let noisyLowest = Infinity;
    let quietHighest = 0;
    // Noisy: a burst of 50,000 (a split), then 200 jobs a second for 5 minutes; quiet: one job every 250 ms.
    for (let i = 0; i < 50_000; i++) fair.priorityFor('noisy', 0);
    for (let t = 0; t < 300_000; t += 5) {
      noisyLowest = Math.min(noisyLowest, fair.priorityFor('noisy', t));
      if (t % 250 === 0) quietHighest = Math.max(quietHighest, fair.priorityFor('quiet', t));
    }
    expect(quietHighest).toBeLessThan(noisyLowest);
  });
});
