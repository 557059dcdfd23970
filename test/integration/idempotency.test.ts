import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.ts';
import { apiClient, HELLO_YAML } from '../support/http.ts';

/**
 * `Idempotency-Key` on POST /workflows/{id}/runs: the same key and request within 24 h
 * answers with the first run (200, `Idempotent-Replayed: true`) and starts nothing; the
 * same key with another request is refused; keys are per tenant; races make one run.
 */
let cp: TestControlPlane;
let acme: Awaited<ReturnType<TestControlPlane['tenant']>>;
let globex: Awaited<ReturnType<TestControlPlane['tenant']>>;
let counter = 0;

beforeAll(async () => {
  cp = await startTestControlPlane();
  await cp.dataPlane('dp_idem');
  acme = await cp.tenant('acme', 'dp_idem');
  globex = await cp.tenant('globex', 'dp_idem');
});
afterAll(() => cp?.stop());

async function newWorkflow(apiKey: string): Promise<string> {
  const res = await apiClient(cp.url, apiKey)('POST', '/api/v1/workflows', HELLO_YAML.replace('name: hello', `name: idem-${counter++}`), { 'content-type': 'application/yaml' });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

/** Everything starting a run leaves behind, for one tenant. */
async function footprint(tenantId: string) {
  const [runs, commands, audits] = await Promise.all([
    cp.db.run.count({ where: { tenantId } }),
    cp.db.dataPlaneCommand.count({ where: { tenantId, type: 'run.start' } }),
    cp.db.auditEvent.count({ where: { tenantId, action: 'run.started' } }),
  ]);
  return { runs, commands, audits };
}

const start = (apiKey: string, workflowId: string, body: unknown, key?: string, headers: Record<string, string> = {}) =>
  apiClient(cp.url, apiKey)('POST', `/api/v1/workflows/${workflowId}/runs`, body, { ...(key === undefined ? {} : { 'idempotency-key': key }), ...headers });

describe('Idempotency-Key', () => {
  it('replays the first run with 200 and Idempotent-Replayed, starting, sending and auditing nothing more', async () => {
    const wf = await newWorkflow(acme.apiKey);
    const key = randomUUID();
    const before = await footprint(acme.tenantId);

    const first = await start(acme.apiKey, wf, { input: { n: 1, m: [1, 2] } }, key);
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(await footprint(acme.tenantId)).toEqual({ runs: before.runs + 1, commands: before.commands + 1, audits: before.audits + 1 });

    // The same request, spelled differently: key order and whitespace do not matter.
    const again = await start(acme.apiKey, wf, '{ "input": { "m": [1, 2],   "n": 1 } }', key, { 'content-type': 'application/json' });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('location')).toBe(`/api/v1/runs/${first.body.id}`);
    expect(again.body).toMatchObject({ id: first.body.id, workflowId: wf, status: 'queued' });
    expect(await footprint(acme.tenantId)).toEqual({ runs: before.runs + 1, commands: before.commands + 1, audits: before.audits + 1 });

    // Without a key every request is a new run, as before.
    expect((await start(acme.apiKey, wf, { input: { n: 1, m: [1, 2] } })).status).toBe(202);
    expect((await start(acme.apiKey, wf, { input: { n: 1, m: [1, 2] } })).status).toBe(202);
    expect((await footprint(acme.tenantId)).runs).toBe(before.runs + 3);
  });

  it('refuses the same key for a different request with 422, and starts nothing', async () => {
    const wf = await newWorkflow(acme.apiKey);
    const other = await newWorkflow(acme.apiKey);
    const key = randomUUID();
    expect((await start(acme.apiKey, wf, { input: { n: 1 } }, key)).status).toBe(202);
    const deployed = await apiClient(cp.url, acme.apiKey)('POST', `/api/v1/workflows/${wf}/deployments`, { environment: 'development', version: 1 });
    expect(deployed.status, JSON.stringify(deployed.body)).toBe(201);
    const before = await footprint(acme.tenantId);

    for (const [what, workflowId, body] of [
      ['another input', wf, { input: { n: 2 } }],
      ['no input', wf, undefined],
      ['another workflow', other, { input: { n: 1 } }],
      ['another environment', wf, { input: { n: 1 }, environment: 'development' }],
    ] as const) {
      const res = await start(acme.apiKey, workflowId, body, key);
      expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(422);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.body.detail).toMatch(/Idempotency-Key was used for a different request/);
      expect(res.body.errors).toEqual([expect.objectContaining({ path: 'header.Idempotency-Key' })]);
    }
    expect(await footprint(acme.tenantId)).toEqual(before);
  });

  it('scopes keys to the tenant: two tenants using one key get runs of their own', async () => {
    const key = `shared-${randomUUID()}`;
    const acmeRun = await start(acme.apiKey, await newWorkflow(acme.apiKey), { input: { n: 1 } }, key);
    const globexWf = await newWorkflow(globex.apiKey);
    const globexRun = await start(globex.apiKey, globexWf, { input: { n: 1 } }, key);
    expect(acmeRun.status).toBe(202);
    expect(globexRun.status).toBe(202);
    expect(globexRun.body.id).not.toBe(acmeRun.body.id);
    const replay = await start(globex.apiKey, globexWf, { input: { n: 1 } }, key);
    expect([replay.status, replay.body.id]).toEqual([200, globexRun.body.id]);
    expect(await cp.db.idempotencyRecord.count({ where: { runId: { in: [acmeRun.body.id, globexRun.body.id] } } })).toBe(2);
  });

  it('makes exactly one run of ten concurrent requests with one key; the others replay it', async () => {
    const wf = await newWorkflow(acme.apiKey);
    const key = randomUUID();
    const before = await footprint(acme.tenantId);
    const answers = await Promise.all(Array.from({ length: 10 }, () => start(acme.apiKey, wf, { input: { n: 7 } }, key)));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses, JSON.stringify(answers.map((a) => a.body))).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 202]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true')).toHaveLength(9);
    expect(await footprint(acme.tenantId)).toEqual({ runs: before.runs + 1, commands: before.commands + 1, audits: before.audits + 1 });
  });

  it('lets a key be used again once its 24 hours are over, and prunes expired records', async () => {
    const wf = await newWorkflow(acme.apiKey);
    const key = randomUUID();
    const first = await start(acme.apiKey, wf, { input: { n: 1 } }, key);
    expect(first.status).toBe(202);
    const dayAgo = new Date(Date.now() - 25 * 3600_000);
    await cp.db.idempotencyRecord.updateMany({ where: { runId: first.body.id }, data: { createdAt: dayAgo, expiresAt: new Date(dayAgo.getTime() + 24 * 3600_000) } });
    // Stale records of another tenant, and of a tenant long gone.
    const stale = { keyHash: 'x', requestHash: 'x', runId: 'run_gone', createdAt: dayAgo, expiresAt: new Date(Date.now() - 3600_000) };
    await cp.db.idempotencyRecord.createMany({
      data: [
        { ...stale, id: `idem_stale_${counter++}`, tenantId: globex.tenantId },
        { ...stale, id: `idem_stale_${counter++}`, tenantId: 'ten_deleted' },
      ],
    });

    // Even a different request may use the key now: it starts a new run.
    const second = await start(acme.apiKey, wf, { input: { n: 2 } }, key);
    expect(second.status, JSON.stringify(second.body)).toBe(202);
    expect(second.body.id).not.toBe(first.body.id);
    const third = await start(acme.apiKey, wf, { input: { n: 2 } }, key);
    expect([third.status, third.body.id]).toEqual([200, second.body.id]);

    expect(await cp.db.idempotencyRecord.count({ where: { expiresAt: { lte: new Date() } } })).toBe(0);
    expect(await cp.db.idempotencyRecord.count({ where: { runId: first.body.id } })).toBe(0);
    const record = await cp.db.idempotencyRecord.findFirstOrThrow({ where: { runId: second.body.id } });
    expect(record.expiresAt.getTime() - record.createdAt.getTime()).toBe(24 * 3600_000);
    expect(Math.abs(record.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it.each([
    ['empty', ''],
    ['longer than 255 characters', 'k'.repeat(256)],
    ['not ASCII', 'clé-1'],
    ['holding a control character', 'a\tb'],
  ])('refuses a key %s with a 422 naming the header, and starts nothing', async (_what, key) => {
    const wf = await newWorkflow(acme.apiKey);
    const before = await footprint(acme.tenantId);
    const res = await start(acme.apiKey, wf, { input: { n: 1 } }, key);
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body.detail).toContain('Idempotency-Key');
    expect(res.body.errors).toEqual([expect.objectContaining({ path: 'header.Idempotency-Key' })]);
    expect(await footprint(acme.tenantId)).toEqual(before);
  });

  it('accepts keys of 255 printable characters, spaces and quotes included', async () => {
    const wf = await newWorkflow(acme.apiKey);
    const key = `"${'~ !'.repeat(84)}"`;
    expect(key).toHaveLength(254);
    for (const k of [key, `${key}z`]) {
      const first = await start(acme.apiKey, wf, { input: { n: 1 } }, k);
      expect(first.status, JSON.stringify(first.body)).toBe(202);
      expect((await start(acme.apiKey, wf, { input: { n: 1 } }, k)).body.id).toBe(first.body.id);
    }
  });

  it('works for console sessions too, sharing the tenant’s keys with its API keys', async () => {
    const wf = await newWorkflow(acme.apiKey);
    const { cookie } = await cp.signIn(acme.userId, acme.tenantId);
    const key = randomUUID();
    const bySession = (k: string, body: unknown) => apiClient(cp.url)('POST', `/api/v1/workflows/${wf}/runs`, body, { cookie, 'idempotency-key': k });

    const first = await bySession(key, { input: { n: 3 } });
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    const again = await bySession(key, { input: { n: 3 } });
    expect([again.status, again.headers.get('idempotent-replayed'), again.body.id]).toEqual([200, 'true', first.body.id]);
    expect((await bySession(key, { input: { n: 4 } })).status).toBe(422);

    const byKey = await start(acme.apiKey, wf, { input: { n: 3 } }, key);
    expect([byKey.status, byKey.body.id]).toEqual([200, first.body.id]);
  });

  it('stores no run input, nor the key itself, in the control plane (beyond the in-transit command)', async () => {
    const wf = await newWorkflow(acme.apiKey);
    const marker = `marker-${Math.random().toString(36).slice(2)}`;
    const key = `key-${marker}`;
    const first = await start(acme.apiKey, wf, { input: { secret: marker } }, key);
    expect(first.status).toBe(202);
    expect((await start(acme.apiKey, wf, { input: { secret: marker } }, key)).status).toBe(200);
    expect((await start(acme.apiKey, wf, { input: { secret: `${marker}-2` } }, key)).status).toBe(422);

    // The one place customer data may be: the outbox command's customerData, until the
    // data plane acknowledges it (no data plane runs here).
    const inTransit = await cp.db.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM "DataPlaneCommand" WHERE "customerData"::text LIKE $1`, `%${marker}%`);
    expect(Number(inTransit[0]!.n)).toBe(1);
    const tables = await cp.db.$queryRawUnsafe<{ table_name: string }[]>(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`);
    expect(tables.map((t) => t.table_name)).toContain('IdempotencyRecord');
    for (const { table_name } of tables) {
      const rows = await cp.db.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM "${table_name}" t WHERE (to_jsonb(t) - 'customerData')::text LIKE $1`, `%${marker}%`);
      expect(Number(rows[0]!.n), `marker found in ${table_name}`).toBe(0);
    }
  });

  it('documents the header and the replay answer in the OpenAPI document', async () => {
    const doc = (await apiClient(cp.url)('GET', '/api/v1/openapi.json')).body;
    const op = doc.paths['/api/v1/workflows/{id}/runs'].post;
    const param = op.parameters.find((p: { in: string; name: string }) => p.in === 'header' && p.name === 'Idempotency-Key');
    expect(param).toBeDefined();
    expect(param.required).toBeFalsy();
    expect(param.schema).toMatchObject({ type: 'string', pattern: expect.any(String) });
    expect(op.responses['200'].headers).toHaveProperty('Idempotent-Replayed');
    expect(op.responses['202']).toBeDefined();
  });
});
