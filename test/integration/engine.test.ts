import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.ts';
import { createTestDataPlane, type TestDataPlane } from '../support/data-plane.ts';
import { apiClient, eventually, runToEnd } from '../support/http.ts';

/**
 * The workflow language as the engine runs it, end to end through a real data plane:
 * transform, split/join, `when` edges, predecessor joins, retries with backoff and the
 * attempt context, delay, and http nodes against a local server.
 */
let cp: TestControlPlane;
let dp: TestDataPlane;
let api: ReturnType<typeof apiClient>;
let server: Server;
let serverUrl: string;
const calls: { method: string; url: string; body: string; headers: Record<string, unknown>; at: number }[] = [];
let flaky = 0;
let busy = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      calls.push({ method: req.method!, url: req.url!, body, headers: req.headers, at: Date.now() });
      if (req.url === '/flaky' && flaky++ === 0) {
        res.writeHead(503, { 'retry-after': '0' }).end('busy');
        return;
      }
      if (req.url === '/busy' && busy++ === 0) {
        res.writeHead(429, { 'retry-after': '2' }).end('slow down');
        return;
      }
      if (req.url === '/whoami') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ authorization: req.headers.authorization }));
        return;
      }
      if (req.url === '/missing') {
        res.writeHead(404).end('no such thing');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, echo: body ? JSON.parse(body) : null, path: req.url }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  cp = await startTestControlPlane();
  const token = await cp.dataPlane('dp_engine');
  const tenant = await cp.tenant('engine', 'dp_engine');
  api = apiClient(cp.url, tenant.apiKey);
  // The local test server is on a loopback address: this data plane's egress policy allows it.
  dp = await createTestDataPlane({ controlPlaneUrl: cp.url, enrollmentToken: token, env: { SCRIPT_TIMEOUT_MS: '2000', EGRESS_ALLOW_PRIVATE: 'true' } });
  await dp.start();
}, 60_000);

afterAll(async () => {
  await dp?.dispose();
  await cp?.stop();
  server?.close();
});

let counter = 0;
const run = (document: Record<string, unknown>, input: unknown) => runToEnd(api, document, input);

const js = (id: string, code: string, extra: Record<string, unknown> = {}) => ({ id, type: 'script', language: 'javascript', code, ...extra });

describe('transform and when', () => {
  it('evaluates a JSONata transform', async () => {
    const { run: r, data } = await run(
      { name: 'total', nodes: [{ id: 'sum', type: 'transform', expression: "{ 'total': $sum(items.(price * qty)), 'count': $count(items) }" }] },
      { items: [{ price: 2, qty: 3 }, { price: 5, qty: 1 }] },
    );
    expect(r.status).toBe('succeeded');
    expect(data.output).toEqual({ total: 11, count: 2 });
  });

  it('follows only the edges whose `when` holds', async () => {
    const doc = {
      name: 'route',
      nodes: [js('check', 'export default (x) => x'), js('big', "export default (x) => ({ route: 'big', n: x.n })"), js('small', "export default (x) => ({ route: 'small', n: x.n })")],
      edges: [
        { from: 'check', to: 'big', when: 'n >= 100' },
        { from: 'check', to: 'small', when: 'n < 100' },
      ],
    };
    expect((await run(doc, { n: 500 })).data.output).toEqual({ route: 'big', n: 500 });
    const small = await run(doc, { n: 5 });
    expect(small.data.output).toEqual({ route: 'small', n: 5 });
    expect(small.run.nodes.find((n: { id: string }) => n.id === 'big').status).toBe('pending');
  });
});

describe('split and join', () => {
  it('sends each item on its own and joins them back in order, without the ones a `when` dropped', async () => {
    const { run: r, data } = await run(
      {
        name: 'orders',
        nodes: [
          { id: 'lines', type: 'split', items: 'order.lines' },
          js('price', 'export default (line, ctx) => ({ sku: line.sku, amount: line.qty * line.price, index: ctx.item.index })'),
          { id: 'collect', type: 'join' },
          { id: 'summary', type: 'transform', expression: "{ 'skus': $.sku, 'total': $sum($.amount) }" },
        ],
        edges: [
          { from: 'lines', to: 'price' },
          { from: 'price', to: 'collect', when: 'amount > 0' },
          { from: 'collect', to: 'summary' },
        ],
      },
      { order: { lines: [{ sku: 'a', qty: 2, price: 3 }, { sku: 'free', qty: 1, price: 0 }, { sku: 'b', qty: 1, price: 10 }, { sku: 'c', qty: 4, price: 1 }] } },
    );
    expect(r.status, JSON.stringify(r.error)).toBe('succeeded');
    expect(data.output).toEqual({ skus: ['a', 'b', 'c'], total: 20 });
  });

  it('joins nested splits level by level: the outer join waits for every inner join', async () => {
    const { run: r, data } = await run(
      {
        name: 'nested',
        nodes: [
          { id: 'groups', type: 'split', items: 'groups' },
          { id: 'members', type: 'split', items: '$' },
          { id: 'times10', type: 'transform', expression: '$ * 10' },
          { id: 'inner', type: 'join' },
          { id: 'total', type: 'transform', expression: '$sum($)' },
          { id: 'outer', type: 'join' },
        ],
        edges: [
          { from: 'groups', to: 'members' },
          { from: 'members', to: 'times10' },
          { from: 'times10', to: 'inner' },
          { from: 'inner', to: 'total' },
          { from: 'total', to: 'outer' },
        ],
      },
      { groups: [[1, 2], [3, 4, 5], [6]] },
    );
    expect(r.status).toBe('succeeded');
    expect(data.output).toEqual([30, 120, 60]);
  });

  it('joins every predecessor, in document order', async () => {
    const { data } = await run(
      {
        name: 'fan-in',
        nodes: [js('start', 'export default (x) => x'), js('left', "export default (x) => 'L' + x.n"), js('right', "export default (x) => 'R' + x.n"), { id: 'both', type: 'join' }],
        edges: [
          { from: 'start', to: 'right' },
          { from: 'start', to: 'left' },
          { from: 'left', to: 'both' },
          { from: 'right', to: 'both' },
        ],
      },
      { n: 1 },
    );
    expect(data.output).toEqual(['L1', 'R1']);
  });

  it('splits a single match and no match too', async () => {
    const doc = { name: 'one-or-none', nodes: [{ id: 'each', type: 'split', items: 'order.lines[qty > 0]' }, js('work', 'export default (x) => x.sku'), { id: 'all', type: 'join' }], edges: [{ from: 'each', to: 'work' }, { from: 'work', to: 'all' }] };
    expect((await run(doc, { order: { lines: [{ sku: 'a', qty: 1 }, { sku: 'b', qty: 0 }] } })).data.output).toEqual(['a']);
    expect((await run(doc, { order: { lines: [{ sku: 'b', qty: 0 }] } })).data.output).toEqual([]);
  });

  it('an empty split joins nothing and still finishes', async () => {
    const { run: r, data } = await run(
      { name: 'empty', nodes: [{ id: 'each', type: 'split', items: 'xs' }, js('work', 'export default (x) => x'), { id: 'all', type: 'join' }], edges: [{ from: 'each', to: 'work' }, { from: 'work', to: 'all' }] },
      { xs: [] },
    );
    expect(r.status).toBe('succeeded');
    expect(data.output).toEqual([]);
  });
});

describe('script languages', () => {
  it('runs TypeScript, and reports a TypeScript syntax error with its line', async () => {
    const ok = await run({ name: 'ts', nodes: [{ id: 'typed', type: 'script', language: 'typescript', code: 'interface In { n: number }\nexport default (x: In): { doubled: number } => ({ doubled: x.n * 2 })' }] }, { n: 21 });
    expect(ok.run.status, JSON.stringify(ok.run.error)).toBe('succeeded');
    expect(ok.data.output).toEqual({ doubled: 42 });
    const bad = await run({ name: 'ts-bad', nodes: [{ id: 'broken', type: 'script', language: 'typescript', code: 'export default (x: ) => x' }] }, {});
    expect(bad.run.status).toBe('failed');
    expect(bad.run.error.class).toBe('InvalidScript');
  });
});

describe('values the database cannot store (NUL, U+0000)', () => {
  it('fails a node whose output holds one, at once and saying where, and records its attempt', async () => {
    const code = "export default () => { console.log('before\\u0000after'); return { text: 'a\\u0000b' } }";
    const { run: r, data } = await run({ name: 'nul-output', nodes: [js('emit', code, { retry: { attempts: 3, delayMs: 100 } })] }, {});
    expect(r.status).toBe('failed');
    const node = data.nodes[0];
    expect(node.error.class).toBe('OutputNotStorable');
    expect(node.error.message).toContain('$.text');
    expect(node.attempts).toBe(1); // not retried: it would fail the same way
    // Recorded with its failed attempt's log line (the interpreter ends a string at NUL).
    expect(node.history[0].logs[0].message).toMatch(/^before/);
  });

  it('refuses a run input holding one with a 422 saying where, and starts nothing', async () => {
    const created = await api('POST', '/api/v1/workflows', { name: `nul-input-${counter++}`, nodes: [{ id: 'a', type: 'transform', expression: '$' }] });
    const started = await api('POST', `/api/v1/workflows/${created.body.id}/runs`, '{"input":{"order":{"note":"x\\u0000"}}}', { 'content-type': 'application/json' });
    expect(started.status).toBe(422);
    expect(started.body.detail).toContain('$.order.note');
    expect((await api('GET', `/api/v1/runs?workflowId=${created.body.id}`)).body.data).toEqual([]);
  });
});

describe('retries', () => {
  it('retries a failing node with backoff; ctx.attempt counts tries and the idempotency key stays the same', async () => {
    const { run: r, data } = await run(
      {
        name: 'retry',
        nodes: [
          js('flaky', "export default (x, ctx) => { if (ctx.attempt < 3) throw new Error('try ' + ctx.attempt + ' key ' + ctx.idempotencyKey); return { attempt: ctx.attempt, key: ctx.idempotencyKey }; }", {
            retry: { attempts: 3, backoff: 'exponential', delayMs: 50 },
          }),
        ],
      },
      {},
    );
    expect(r.status).toBe('succeeded');
    expect(data.output.attempt).toBe(3);
    expect(r.nodes[0].attempts).toBe(3);
    expect(data.output.key).toMatch(/^msg_/);
  });

  it('fails once the attempts are used up, and does not retry what cannot succeed', async () => {
    const exhausted = await run({ name: 'exhausted', nodes: [js('always', "export default () => { throw new Error('nope') }", { retry: { attempts: 2, delayMs: 10 } })] }, {});
    expect(exhausted.run.status).toBe('failed');
    expect(exhausted.run.nodes[0].attempts).toBe(2);
    const invalid = await run({ name: 'invalid', nodes: [js('bad', 'export default (x) => x +', { retry: { attempts: 5, delayMs: 10 } })] }, {});
    expect(invalid.run.status).toBe('failed');
    expect(invalid.run.error.class).toBe('InvalidScript');
    expect(invalid.run.nodes[0].attempts).toBe(1);
  });
});

describe('delay', () => {
  it('holds the message for its duration, then passes it on', async () => {
    const started = Date.now();
    const { run: r, data } = await run({ name: 'wait', nodes: [{ id: 'pause', type: 'delay', durationMs: 1500 }, js('after', 'export default (x) => ({ ...x, done: true })')], edges: [{ from: 'pause', to: 'after' }] }, { v: 1 });
    expect(r.status).toBe('succeeded');
    expect(data.output).toEqual({ v: 1, done: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
  });
});

describe('http', () => {
  it('sends a templated request and returns status, headers and body', async () => {
    const { run: r, data } = await run(
      {
        name: 'call',
        nodes: [
          {
            id: 'post',
            type: 'http',
            application: 'echo',
            request: { method: 'POST', url: `${serverUrl}/orders/{{ input.id }}`, headers: { 'x-order': '{{ input.id }}' }, body: { id: '{{ input.id }}', qty: '{{ input.qty }}' } },
          },
        ],
      },
      { id: 'o-42', qty: 3 },
    );
    expect(r.status, JSON.stringify(r.error)).toBe('succeeded');
    expect(data.output).toMatchObject({ status: 200, body: { ok: true, path: '/orders/o-42', echo: { id: 'o-42', qty: 3 } } });
    expect(calls.find((c) => c.url === '/orders/o-42')?.headers['x-order']).toBe('o-42');
  });

  it('renders several templates in one string', async () => {
    const { run: r, data } = await run({ name: 'multi', nodes: [{ id: 'get', type: 'http', application: 'echo', request: { url: `${serverUrl}/{{ input.a }}-{{ input.b }}` } }] }, { a: 'x', b: 'y' });
    expect(r.status, JSON.stringify(r.error)).toBe('succeeded');
    expect(data.output.body.path).toBe('/x-y');
  });

  it('retries a 503 and fails a 404 at once', async () => {
    const retried = await run({ name: 'flaky', nodes: [{ id: 'get', type: 'http', application: 'echo', request: { url: `${serverUrl}/flaky` }, retry: { attempts: 3, delayMs: 10 } }] }, {});
    expect(retried.run.status).toBe('succeeded');
    expect(retried.run.nodes[0].attempts).toBe(2);
    const missing = await run({ name: 'missing', nodes: [{ id: 'get', type: 'http', application: 'echo', request: { url: `${serverUrl}/missing` }, retry: { attempts: 3, delayMs: 10 } }] }, {});
    expect(missing.run.status).toBe('failed');
    expect(missing.run.error.class).toBe('HttpClientError');
    expect(missing.run.nodes[0].attempts).toBe(1);
  });
});

describe('secrets', () => {
  it('are sent to the data plane once, used as {{ secrets.NAME }}, and never shown or kept by the control plane', async () => {
    const value = `sk_live_${Date.now().toString(36)}_do_not_leak`;
    const saved = await api('PUT', '/api/v1/secrets/PARTNER_TOKEN', { value });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(JSON.stringify(saved.body)).not.toContain(value);
    expect(JSON.stringify((await api('GET', '/api/v1/secrets')).body)).not.toContain(value);

    // The command reaches the data plane (acked) before a run that needs it.
    await eventually('the secret to reach the data plane', async () => (await cp.db.dataPlaneCommand.count({ where: { type: 'secret.put', ackedAt: null } })) === 0);
    const { run: r, data } = await run(
      { name: 'auth', nodes: [{ id: 'call', type: 'http', application: 'partner', request: { url: `${serverUrl}/whoami`, headers: { authorization: 'Bearer {{ secrets.PARTNER_TOKEN }}' } } }] },
      {},
    );
    expect(r.status, JSON.stringify(r.error)).toBe('succeeded');
    // The partner saw the real value; the recorded output shows it redacted.
    expect(data.output.body.authorization).toBe('Bearer [redacted]');
    expect(JSON.stringify(data)).not.toContain(value);

    // Nowhere in the control plane's tables, once acknowledged.
    const tables = await cp.db.$queryRaw<{ table_name: string }[]>`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`;
    for (const { table_name } of tables) {
      const rows = await cp.db.$queryRawUnsafe<{ hit: boolean }[]>(`SELECT EXISTS (SELECT 1 FROM "${table_name}" t WHERE t::text LIKE $1) AS hit`, `%${value}%`);
      expect(rows[0]!.hit, table_name).toBe(false);
    }
  });

  it('a missing secret fails the node with a message saying how to set it', async () => {
    const { run: r, data } = await run({ name: 'nosecret', nodes: [{ id: 'call', type: 'http', application: 'partner', request: { url: `${serverUrl}/whoami`, headers: { 'x-key': '{{ secrets.NOT_SET }}' } } }] }, {});
    expect(r.status).toBe('failed');
    expect(r.error.class).toBe('MissingSecret');
    expect(JSON.stringify(data)).toContain('PUT /api/v1/secrets/NOT_SET');
  });
});

describe('webhook trigger', () => {
  it('starts a run on the data plane from a POST to links.webhook, once per delivery id, on the latest version', async () => {
    const doc = (factor: number) => ({ name: `hook-${counter++}`, nodes: [{ id: 'total', type: 'transform', expression: `{ 'total': body.amount * ${factor}, 'event': headers.\`x-github-event\` }` }] });
    const created = await api('POST', '/api/v1/workflows', doc(2));
    expect(created.status).toBe(201);
    const hook: string = created.body.links.webhook;
    expect(hook).toMatch(/\/v1\/hooks\/[A-Za-z0-9_-]{20,}$/);
    expect((await api('GET', `/api/v1/workflows/${created.body.id}`)).body.links.webhook).toBe(hook);

    const marker = `hook-marker-${Date.now().toString(36)}`;
    const deliver = (delivery: string) =>
      eventually('the webhook to be registered', async () => {
        const res = await fetch(hook, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': delivery }, body: JSON.stringify({ amount: 21, note: marker }) });
        return res.status === 404 ? undefined : res;
      });
    const first = await deliver('delivery-1');
    expect(first.status).toBe(202);
    const { runId } = (await first.json()) as { runId: string };

    const finished = await eventually('the webhook run in the control plane', async () => {
      const res = await api('GET', `/api/v1/runs/${runId}`);
      return res.status === 200 && res.body.status === 'succeeded' ? res.body : undefined;
    });
    expect(finished).toMatchObject({ trigger: 'webhook', workflowId: created.body.id, workflowVersion: 1 });
    expect((await (await fetch(finished.links.data)).json()).output).toEqual({ total: 42, event: 'push' });

    // A delivery holding a NUL character cannot be stored: refused with a 422 saying where.
    const nul = await fetch(hook, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"amount":1,"note":"a\\u0000b"}' });
    expect(nul.status).toBe(422);
    expect(((await nul.json()) as { detail: string }).detail).toContain('$.body.note');

    // A redelivery starts nothing new.
    const again = await deliver('delivery-1');
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ runId, replayed: true });
    expect((await api('GET', `/api/v1/runs?workflowId=${created.body.id}`)).body.data).toHaveLength(1);

    // The payload stayed on the data plane.
    const tables = await cp.db.$queryRaw<{ table_name: string }[]>`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`;
    for (const { table_name } of tables) {
      const rows = await cp.db.$queryRawUnsafe<{ hit: boolean }[]>(`SELECT EXISTS (SELECT 1 FROM "${table_name}" t WHERE t::text LIKE $1) AS hit`, `%${marker}%`);
      expect(rows[0]!.hit, table_name).toBe(false);
    }

    // A new version takes over the hook once the data plane has it.
    expect((await api('PUT', `/api/v1/workflows/${created.body.id}`, { ...doc(10), name: created.body.name })).status).toBe(200);
    const onV2 = await eventually('the new version to serve the hook', async () => {
      const res = await fetch(hook, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-delivery': `d-${Date.now()}-${Math.random()}` }, body: JSON.stringify({ amount: 1 }) });
      const { runId: id } = (await res.json()) as { runId: string };
      const run = await eventually('run', async () => {
        const r = await api('GET', `/api/v1/runs/${id}`);
        return r.status === 200 && r.body.status === 'succeeded' ? r.body : undefined;
      });
      return run.workflowVersion === 2 ? run : undefined;
    });
    expect((await (await fetch(onV2.links.data)).json()).output.total).toBe(10);
  });

  it('verifies GitHub signatures with a tenant secret when the document asks for it', async () => {
    expect((await api('PUT', '/api/v1/secrets/GITHUB_HOOK_SECRET', { value: 'hook-signing-secret' })).status).toBe(200);
    const created = await api('POST', '/api/v1/workflows', {
      name: `signed-${counter++}`,
      triggers: { webhook: { verify: { scheme: 'github', secret: 'GITHUB_HOOK_SECRET' } } },
      nodes: [js('a', 'export default (x) => x.body')],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const payload = JSON.stringify({ ref: 'main' });
    const signature = `sha256=${createHmac('sha256', 'hook-signing-secret').update(payload).digest('hex')}`;
    const post = (sig: string) => fetch(created.body.links.webhook, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': sig }, body: payload });
    const forged = await eventually('the hook and its secret on the data plane', async () => {
      const res = await post('sha256=0000');
      return [401].includes(res.status) ? res : undefined;
    });
    expect(((await forged.json()) as { detail: string }).detail).toMatch(/does not match/);
    expect((await post(signature)).status).toBe(202);
  });

  it('answers 404 to a URL no workflow listens on', async () => {
    const created = await api('POST', '/api/v1/workflows', { name: `hook-404-${counter++}`, nodes: [js('a', 'export default (x) => x')] });
    const wrong = created.body.links.webhook.replace(/[A-Za-z0-9_-]{8}$/, 'AAAAAAAA');
    expect((await fetch(wrong, { method: 'POST', body: '{}' })).status).toBe(404);
  });
});

describe('schedule trigger', () => {
  it('runs on a cron schedule in the data plane, each tick once, until the schedule is removed', async () => {
    const doc = { name: `every-second-${counter++}`, triggers: { schedule: { cron: '* * * * * *', input: { job: 'tick' } } }, nodes: [{ id: 'echo', type: 'transform', expression: '$' }] };
    const created = await api('POST', '/api/v1/workflows', doc);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const runs = await eventually('scheduled runs', async () => {
      const res = await api('GET', `/api/v1/runs?workflowId=${created.body.id}`);
      return res.body.data.length >= 3 ? res.body.data : undefined;
    });
    expect(runs.every((r: { trigger: string }) => r.trigger === 'schedule')).toBe(true);
    const finished = await eventually('a scheduled run to finish', async () => {
      const res = await api('GET', `/api/v1/runs/${runs.at(-1).id}`);
      return res.body.status === 'succeeded' ? res.body : undefined;
    });
    const output = (await (await fetch(finished.links.data)).json()).output;
    expect(output).toMatchObject({ input: { job: 'tick' } });
    // One run per tick: every scheduledAt differs.
    const ticks = new Set<string>();
    for (const r of runs) {
      const data = await (await fetch((await api('GET', `/api/v1/runs/${r.id}`)).body.links.data)).json();
      ticks.add(data.input.scheduledAt);
    }
    expect(ticks.size).toBe(runs.length);

    // A version without the schedule stops it.
    expect((await api('PUT', `/api/v1/workflows/${created.body.id}`, { name: doc.name, nodes: doc.nodes })).status).toBe(200);
    await eventually('the schedule to stop', async () => {
      const before = (await api('GET', `/api/v1/runs?workflowId=${created.body.id}&limit=200`)).body.data.length;
      await new Promise((r) => setTimeout(r, 2_500));
      const after = (await api('GET', `/api/v1/runs?workflowId=${created.body.id}&limit=200`)).body.data.length;
      return after === before;
    });
  });

  it('refuses an invalid cron or time zone with 422 naming the field', async () => {
    const bad = await api('POST', '/api/v1/workflows', { name: `bad-cron-${counter++}`, triggers: { schedule: { cron: '61 * * * *', timezone: 'Mars/Olympus' } }, nodes: [js('a', 'export default (x) => x')] });
    expect(bad.status).toBe(422);
    const paths = bad.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['triggers.schedule.cron', 'triggers.schedule.timezone']));
  });
});

describe('version skew', () => {
  it('a command this data plane does not understand is skipped and acknowledged, not left blocking the rest', async () => {
    const tenant = await cp.db.tenant.findFirstOrThrow({ where: { slug: 'engine' } });
    const command = await cp.db.dataPlaneCommand.create({ data: { id: `cmd_future_${Date.now()}`, dataPlaneId: 'dp_engine', tenantId: tenant.id, type: 'future.thing', payload: { anything: true } } });
    const { run: r } = await run({ name: 'after-future', nodes: [js('a', 'export default () => 1')] }, {});
    expect(r.status).toBe('succeeded');
    await eventually('the unknown command to be acknowledged', async () => (await cp.db.dataPlaneCommand.findUniqueOrThrow({ where: { id: command.id } })).ackedAt !== null);
  });
});

describe('subworkflow', () => {
  it("runs another workflow of the tenant with the node's input and continues with its output; a failing child fails the parent", async () => {
    const childName = `child-${counter++}`;
    expect((await api('POST', '/api/v1/workflows', { name: childName, nodes: [{ id: 'double', type: 'transform', expression: "{ 'n': n * 2 }" }] })).status).toBe(201);
    const parent = await api('POST', '/api/v1/workflows', {
      name: `parent-${counter++}`,
      nodes: [{ id: 'call', type: 'subworkflow', workflow: childName }, { id: 'after', type: 'transform', expression: "{ 'result': n + 1 }" }],
      edges: [{ from: 'call', to: 'after' }],
    });
    expect(parent.status, JSON.stringify(parent.body)).toBe(201);
    const finished = await eventually('the parent run to succeed (once the child is registered on the data plane)', async () => {
      const started = await api('POST', `/api/v1/workflows/${parent.body.id}/runs`, { input: { n: 20 } });
      const done = await eventually('run', async () => {
        const r = await api('GET', `/api/v1/runs/${started.body.id}`);
        return ['succeeded', 'failed'].includes(r.body.status) ? r.body : undefined;
      });
      return done.status === 'succeeded' ? done : undefined;
    });
    expect((await (await fetch(finished.links.data)).json()).output).toEqual({ result: 41 });
    const childRuns = (await api('GET', '/api/v1/runs?limit=200')).body.data.filter((r: { trigger: string }) => r.trigger === 'subworkflow');
    expect(childRuns.length).toBeGreaterThanOrEqual(1);

    const failingName = `failing-child-${counter++}`;
    const failingChild = await api('POST', '/api/v1/workflows', { name: failingName, nodes: [js('boom', "export default () => { throw new Error('child broke') }")] });
    expect(failingChild.status).toBe(201);
    const failingParent = await api('POST', '/api/v1/workflows', { name: `failing-parent-${counter++}`, nodes: [{ id: 'call', type: 'subworkflow', workflow: failingName }] });
    // The child's failure parks in the Trash; the parent waits on it, still running.
    const { parentId, item } = await eventually('the failing child to park while its parent waits', async () => {
      const started = await api('POST', `/api/v1/workflows/${failingParent.body.id}/runs`, { input: {} });
      const parked = await eventually('the child to park or the parent to fail', async () => {
        const r = await api('GET', `/api/v1/runs/${started.body.id}`);
        if (r.body.status === 'failed') return 'child not registered yet' as const;
        const items = (await api('GET', `/api/v1/trash?status=parked&workflowId=${failingChild.body.id}`)).body.data;
        return items.length ? { parentId: started.body.id as string, item: items[0] } : undefined;
      });
      return typeof parked === 'string' ? undefined : parked;
    });
    expect((await api('GET', `/api/v1/runs/${parentId}`)).body.status).toBe('running');
    // Rejecting it lets the failure stand: the parent's subworkflow node fails in turn.
    expect((await api('POST', `/api/v1/trash/${item.id}/reject`)).status).toBe(202);
    const failed = await eventually('the parent run to fail with its child', async () => {
      const r = await api('GET', `/api/v1/runs/${parentId}`);
      return r.body.status === 'failed' ? r.body : undefined;
    });
    expect(failed.error.class).toBe('SubworkflowFailed');
  });
});

describe('node concurrency', () => {
  it('runs at most `concurrency` messages of a node at once, across runs', async () => {
    const created = await api('POST', '/api/v1/workflows', {
      name: `one-at-a-time-${counter++}`,
      nodes: [js('slow', 'export default (x) => { const t = Date.now(); while (Date.now() - t < 250) {} return x; }', { concurrency: 1 })],
    });
    expect(created.status).toBe(201);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await api('POST', `/api/v1/workflows/${created.body.id}/runs`, { input: { i } })).body.id);
    const spans: [number, number][] = [];
    for (const id of ids) {
      const run = await eventually(`run ${id} (${dp.logs.filter((l) => /warn|error/.test(l)).slice(-3).join(' | ')})`, async () => {
        const r = await api('GET', `/api/v1/runs/${id}`);
        return r.body.status === 'succeeded' ? r.body : undefined;
      });
      const node = (await (await fetch(run.links.data)).json()).nodes[0];
      spans.push([Date.parse(node.startedAt), Date.parse(node.finishedAt)]);
    }
    spans.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0], 'executions overlap').toBeGreaterThanOrEqual(spans[i - 1]![1]);
  });
});

describe('terminate a workflow', () => {
  it('cancels every unfinished run of the workflow: none starts another node', async () => {
    const created = await api('POST', '/api/v1/workflows', {
      name: `long-${counter++}`,
      nodes: [{ id: 'wait', type: 'delay', durationMs: 60_000 }, js('after', 'export default (x) => x')],
      edges: [{ from: 'wait', to: 'after' }],
    });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await api('POST', `/api/v1/workflows/${created.body.id}/runs`, { input: { i } })).body.id);
    await eventually('the runs to be waiting in their delay', async () => {
      const list = (await api('GET', `/api/v1/runs?workflowId=${created.body.id}`)).body.data as { status: string }[];
      return list.length === 3 && list.every((r) => r.status === 'running');
    });
    const res = await api('POST', `/api/v1/workflows/${created.body.id}/runs/cancel`);
    expect(res.status).toBe(202);
    expect([...res.body.cancelled].sort()).toEqual([...ids].sort());
    await eventually('every run cancelled', async () => {
      const list = (await api('GET', `/api/v1/runs?workflowId=${created.body.id}`)).body.data as { status: string; nodes: { id: string; status: string }[] }[];
      return list.every((r) => r.status === 'cancelled' && r.nodes.find((n) => n.id === 'after')!.status !== 'succeeded');
    });
    // Nothing left to cancel: an empty list, not an error.
    expect((await api('POST', `/api/v1/workflows/${created.body.id}/runs/cancel`)).body.cancelled).toEqual([]);
  });
});

describe('applications', () => {
  it("share one application's rate limit and concurrency between workflows", async () => {
    const limited = await api('PUT', '/api/v1/applications/partner-api', { rateLimit: { requests: 2, perSeconds: 2 }, concurrency: 1 });
    expect(limited.status, JSON.stringify(limited.body)).toBe(200);
    expect((await api('GET', '/api/v1/applications')).body.data).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'partner-api', rateLimit: { requests: 2, perSeconds: 2 }, concurrency: 1 })]));
    // Two workflows calling the same application: 6 calls at 2 per 2 s take at least 4 s.
    const doc = (name: string) => ({ name, nodes: [{ id: 'call', type: 'http', application: 'partner-api', request: { url: `${serverUrl}/limited` } }] });
    const a = await api('POST', '/api/v1/workflows', doc(`app-a-${counter++}`));
    const b = await api('POST', '/api/v1/workflows', doc(`app-b-${counter++}`));
    await eventually('the limits to reach the data plane', async () => (await cp.db.dataPlaneCommand.count({ where: { type: 'application.put', ackedAt: null } })) === 0);
    const started = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) for (const wf of [a, b]) ids.push((await api('POST', `/api/v1/workflows/${wf.body.id}/runs`, { input: {} })).body.id);
    for (const id of ids) {
      await eventually(`run ${id}`, async () => ((await api('GET', `/api/v1/runs/${id}`)).body.status === 'succeeded' ? true : undefined));
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(4_000);
    const times = calls.filter((c) => c.url === '/limited').map((c) => c.at).sort((x, y) => x - y);
    for (let i = 2; i < times.length; i++) expect(times[i]! - times[i - 2]!, 'more than 2 calls in 2 s').toBeGreaterThanOrEqual(1_900);
  });

  it('a 429 with Retry-After pauses every call to that application, from any workflow', async () => {
    const x = await api('POST', '/api/v1/workflows', { name: `busy-${counter++}`, nodes: [{ id: 'call', type: 'http', application: 'slow-app', request: { url: `${serverUrl}/busy` }, retry: { attempts: 2, delayMs: 10 } }] });
    const y = await api('POST', '/api/v1/workflows', { name: `other-${counter++}`, nodes: [{ id: 'call', type: 'http', application: 'slow-app', request: { url: `${serverUrl}/other` } }] });
    const first = (await api('POST', `/api/v1/workflows/${x.body.id}/runs`, { input: {} })).body.id;
    const refusedAt = (await eventually('the 429', async () => calls.find((c) => c.url === '/busy')))!.at;
    const second = (await api('POST', `/api/v1/workflows/${y.body.id}/runs`, { input: {} })).body.id;
    for (const id of [first, second]) await eventually(`run ${id}`, async () => ((await api('GET', `/api/v1/runs/${id}`)).body.status === 'succeeded' ? true : undefined));
    const other = calls.find((c) => c.url === '/other')!;
    expect(other.at - refusedAt).toBeGreaterThanOrEqual(1_900);
  });
});
