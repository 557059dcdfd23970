import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.ts';
import { createTestDataPlane, type TestDataPlane } from '../support/data-plane.ts';
import { apiClient, eventually, HELLO_YAML } from '../support/http.ts';

/**
 * The foundation's whole path: API → control-plane Postgres (run + outbox command) →
 * agent long-poll → BullMQ → worker → data-plane Postgres → events → run status.
 */
let cp: TestControlPlane;
let dp: TestDataPlane;
let api: ReturnType<typeof apiClient>;
let tenantId: string;

beforeAll(async () => {
  cp = await startTestControlPlane();
  const token = await cp.dataPlane('dp_test');
  const tenant = await cp.tenant('acme', 'dp_test');
  tenantId = tenant.tenantId;
  api = apiClient(cp.url, tenant.apiKey);
  dp = await createTestDataPlane({ controlPlaneUrl: cp.url, enrollmentToken: token, env: { SCRIPT_TIMEOUT_MS: '1000', SCRIPT_MEMORY_MB: '16' } });
  await dp.start();
});

afterAll(async () => {
  await dp?.dispose();
  await cp?.stop();
});

async function createWorkflow(yaml: string) {
  const res = await api('POST', '/api/v1/workflows', yaml, { 'content-type': 'application/yaml' });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; version: number };
}

const script = (name: string, code: string) => `name: ${name}
nodes:
  - id: only
    type: script
    language: javascript
    code: ${JSON.stringify(code)}
`;

async function runToEnd(workflowId: string, input: unknown) {
  const started = await api('POST', `/api/v1/workflows/${workflowId}/runs`, { input });
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  expect(started.body.status).toBe('queued');
  return eventually(`run ${started.body.id} to finish`, async () => {
    const res = await api('GET', `/api/v1/runs/${started.body.id}`);
    return ['succeeded', 'failed', 'cancelled'].includes(res.body.status) ? res.body : undefined;
  });
}

async function runData(run: { links: { data?: string } }) {
  expect(run.links.data).toBeTruthy();
  const res = await fetch(run.links.data!);
  expect(res.status).toBe(200);
  return res.json();
}

describe('a run on the real path', () => {
  it('runs the hello workflow: {n: 20} gives {n: 41, from: "inc"}', async () => {
    const wf = await createWorkflow(HELLO_YAML);
    expect(wf.version).toBe(1);
    const run = await runToEnd(wf.id, { n: 20 });
    expect(run.status).toBe('succeeded');
    expect(run.region).toBe('eu-local');
    expect(run.nodes.map((n: { id: string; status: string }) => [n.id, n.status])).toEqual([
      ['double', 'succeeded'],
      ['inc', 'succeeded'],
    ]);
    expect(run.startedAt).toBeTruthy();
    expect(run.finishedAt).toBeTruthy();

    const data = await runData(run);
    expect(data.input).toEqual({ n: 20 });
    expect(data.output).toEqual({ n: 41, from: 'inc' });
    expect(data.nodes.map((n: { nodeId: string; output: unknown }) => [n.nodeId, n.output])).toEqual([
      ['double', { n: 40 }],
      ['inc', { n: 41, from: 'inc' }],
    ]);
  });

  it('keeps customer payloads out of the control plane once the data plane has them', async () => {
    const wf = await createWorkflow(script('marker', 'export default (input) => ({ echoed: input.secret })'));
    const marker = `marker-${Math.random().toString(36).slice(2)}`;
    const run = await runToEnd(wf.id, { secret: marker });
    expect(run.status).toBe('succeeded');
    expect((await runData(run)).output).toEqual({ echoed: marker });
    const tables = await cp.db.$queryRawUnsafe<{ table_name: string }[]>(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`);
    for (const { table_name } of tables) {
      const rows = await cp.db.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM "${table_name}" t WHERE t::text LIKE $1`, `%${marker}%`);
      expect(Number(rows[0]!.n), `marker found in ${table_name}`).toBe(0);
    }
  });

  it('fails the node and the run when a script throws, with message and stack visible', async () => {
    const wf = await createWorkflow(script('thrower', "export default () => { throw new TypeError('boom: bad order') }"));
    const run = await runToEnd(wf.id, {});
    expect(run.status).toBe('failed');
    expect(run.error).toEqual({ class: 'ScriptError', nodeId: 'only' });
    expect(run.nodes[0]).toMatchObject({ id: 'only', status: 'failed', errorClass: 'ScriptError' });
    const data = await runData(run);
    expect(data.error).toMatchObject({ class: 'ScriptError', name: 'TypeError', message: 'boom: bad order' });
    expect(data.nodes[0].error.stack).toContain('only.js');
  });

  it('stops endless loops and unbounded allocation without hurting other runs', async () => {
    const loop = await createWorkflow(script('forever', 'export default () => { for (;;) {} }'));
    const hog = await createWorkflow(script('hog', "export default () => { const a = []; for (;;) a.push('x'.repeat(1024)) }"));
    const hello = await createWorkflow(HELLO_YAML.replace('name: hello', 'name: hello-alongside'));
    const [looped, hogged, fine] = await Promise.all([runToEnd(loop.id, {}), runToEnd(hog.id, {}), runToEnd(hello.id, { n: 1 })]);
    expect(looped).toMatchObject({ status: 'failed', error: { class: 'SandboxTimeout' } });
    expect(hogged).toMatchObject({ status: 'failed', error: { class: 'SandboxMemoryLimit' } });
    expect(fine.status).toBe('succeeded');
    expect((await runData(fine)).output).toEqual({ n: 3, from: 'inc' });
    expect((await runData(looped)).error.message).toMatch(/time limit/);
  });

  it('completes a run started while the data plane was down once it is back', async () => {
    const wf = await createWorkflow(HELLO_YAML.replace('name: hello', 'name: hello-offline'));
    await dp.stop();
    const started = await api('POST', `/api/v1/workflows/${wf.id}/runs`, { input: { n: 5 } });
    expect(started.status).toBe(202);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await api('GET', `/api/v1/runs/${started.body.id}`)).body.status).toBe('queued');
    await dp.start();
    const run = await eventually('run to succeed after restart', async () => {
      const res = await api('GET', `/api/v1/runs/${started.body.id}`);
      return res.body.status === 'succeeded' ? res.body : undefined;
    });
    expect((await runData(run)).output).toEqual({ n: 11, from: 'inc' });
  });

  it('cancels a run: no further nodes start', async () => {
    const wf = await createWorkflow(`name: slow-then-more
nodes:
  - id: slow
    type: script
    language: javascript
    timeoutMs: 5000
    code: "export default async (input) => { const end = Date.now() + 1500; while (Date.now() < end) {} return input }"
  - id: after
    type: script
    language: javascript
    code: "export default (input) => input"
edges:
  - { from: slow, to: after }
`);
    const started = await api('POST', `/api/v1/workflows/${wf.id}/runs`, { input: {} });
    await eventually('slow node to start', async () => (await api('GET', `/api/v1/runs/${started.body.id}`)).body.nodes[0].status === 'running');
    const cancelled = await api('POST', `/api/v1/runs/${started.body.id}/cancel`);
    expect(cancelled.status).toBe(202);
    const run = await eventually('run to be cancelled', async () => {
      const res = await api('GET', `/api/v1/runs/${started.body.id}`);
      return res.body.status === 'cancelled' ? res.body : undefined;
    });
    await new Promise((r) => setTimeout(r, 2000));
    const data = await runData(run);
    expect(data.nodes.filter((n: { nodeId: string }) => n.nodeId === 'after')).toEqual([]);
    expect((await api('POST', `/api/v1/runs/${started.body.id}/cancel`)).status).toBe(409);
  });

  it('lists runs newest first, filtered and paginated', async () => {
    const wf = await createWorkflow(HELLO_YAML.replace('name: hello', 'name: hello-list'));
    for (let i = 0; i < 3; i++) await runToEnd(wf.id, { n: i });
    const first = await api('GET', `/api/v1/runs?workflowId=${wf.id}&status=succeeded&limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(2);
    expect(first.body.nextCursor).toBeTruthy();
    const second = await api('GET', `/api/v1/runs?workflowId=${wf.id}&status=succeeded&limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.data).toHaveLength(1);
    expect(second.body.nextCursor).toBeNull();
    const ids = [...first.body.data, ...second.body.data].map((r: { id: string }) => r.id);
    expect(new Set(ids).size).toBe(3);
    expect([...ids].sort().reverse()).toEqual(ids);
    const bad = await api('GET', '/api/v1/runs?status=exploded');
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].path).toBe('query.status');
  });

  it('records an audit event for each change', async () => {
    const events = await cp.db.auditEvent.findMany({ where: { tenantId } });
    const actions = new Set(events.map((e) => e.action));
    for (const action of ['workflow.created', 'run.started', 'run.cancel_requested', 'api_key.created']) expect(actions).toContain(action);
  });
});
