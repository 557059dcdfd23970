import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.ts';
import { createTestDataPlane, type TestDataPlane } from '../support/data-plane.ts';
import { apiClient, eventually } from '../support/http.ts';

/**
 * The Trash: a message that exhausts its retries parks with its payload, error and attempt
 * history on the data plane; operators approve (optionally with an edited payload) or
 * reject it, one by one or in bulk, and the run resumes at the failed node.
 */
let cp: TestControlPlane;
let dp: TestDataPlane;
let api: ReturnType<typeof apiClient>;
let server: Server;
let serverUrl: string;
/** Items the gate server refuses while closed, and every item it was asked about. */
const closed = new Set<string>();
const asked: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const item = new URL(req.url!, 'http://x').searchParams.get('item') ?? '';
    asked.push(item);
    if (closed.has(item)) res.writeHead(500).end('not yet');
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ item }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cp = await startTestControlPlane();
  const token = await cp.dataPlane('dp_trash');
  const tenant = await cp.tenant('trash', 'dp_trash');
  api = apiClient(cp.url, tenant.apiKey);
  dp = await createTestDataPlane({ controlPlaneUrl: cp.url, enrollmentToken: token, env: { EGRESS_ALLOW_PRIVATE: 'true' } });
  await dp.start();
}, 60_000);

afterAll(async () => {
  await dp?.dispose();
  await cp?.stop();
  server?.close();
});

let counter = 0;
async function start(document: Record<string, unknown>, input: unknown): Promise<{ runId: string; workflowId: string }> {
  const created = await api('POST', '/api/v1/workflows', { ...document, name: `${String(document.name)}-${counter++}` });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const started = await api('POST', `/api/v1/workflows/${created.body.id}/runs`, { input });
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  return { runId: started.body.id, workflowId: created.body.id };
}
async function until(runId: string, status: string) {
  return eventually(`run ${runId} to be ${status}`, async () => {
    const res = await api('GET', `/api/v1/runs/${runId}`);
    return res.body.status === status ? res.body : undefined;
  });
}
async function parkedOf(runId: string, count = 1) {
  return eventually(`${count} parked item(s) of ${runId}`, async () => {
    const items = (await api('GET', `/api/v1/trash?runId=${runId}&status=parked`)).body.data;
    return items.length === count ? items : undefined;
  });
}
async function applied(id: string, status: string) {
  return eventually(`trash item ${id} to be ${status} on the data plane`, async () => {
    const item = (await api('GET', `/api/v1/trash/${id}`)).body;
    return item.status === status && item.appliedAt ? item : undefined;
  });
}
const data = async (runId: string) => (await fetch((await api('GET', `/api/v1/runs/${runId}`)).body.links.data)).json();

const js = (id: string, code: string, extra: Record<string, unknown> = {}) => ({ id, type: 'script', language: 'javascript', code, ...extra });

describe('parking and approving', () => {
  it('parks the exhausted message with its history, and an edited approval resumes the run at that node', async () => {
    const marker = `trash-marker-${Date.now().toString(36)}`;
    const { runId } = await start(
      {
        name: 'charge',
        nodes: [
          js('enrich', 'export default (x) => ({ ...x, enriched: true })'),
          js('charge', "export default (x, ctx) => { if (!x.card) throw new Error('card declined'); return { charged: x.card, attempt: ctx.attempt } }", { retry: { attempts: 2, delayMs: 10 } }),
          { id: 'receipt', type: 'transform', expression: "{ 'receipt': charged, 'attempt': attempt }" },
        ],
        edges: [
          { from: 'enrich', to: 'charge' },
          { from: 'charge', to: 'receipt' },
        ],
      },
      { order: 7 },
    );
    const failed = await until(runId, 'failed');
    expect(failed.error).toMatchObject({ class: 'ScriptError', nodeId: 'charge' });
    const [item] = await parkedOf(runId);
    expect(item).toMatchObject({ runId, nodeId: 'charge', errorClass: 'ScriptError', attempts: 2, status: 'parked', decidedBy: null });
    expect((await api('GET', `/api/v1/runs/${runId}`)).body.parked).toBe(1);

    // Payload, error message and history are on the data plane, not in the Trash listing.
    expect(JSON.stringify(item)).not.toContain('card declined');
    const parked = (await data(runId)).nodes.find((n: { nodeId: string }) => n.nodeId === 'charge');
    expect(parked).toMatchObject({ status: 'failed', trashItemId: item.id, input: { order: 7, enriched: true }, error: { class: 'ScriptError', message: expect.stringContaining('card declined') } });
    expect(parked.history.map((h: { attempt: number }) => h.attempt)).toEqual([1, 2]);

    const approved = await api('POST', `/api/v1/trash/${item.id}/approve`, { payload: { order: 7, enriched: true, card: marker } });
    expect(approved.status, JSON.stringify(approved.body)).toBe(202);
    expect(approved.body).toMatchObject({ status: 'approved', payloadEdited: true });
    const done = await until(runId, 'succeeded');
    expect(done.error).toBeNull();
    expect(done.parked).toBe(0);
    const after = await data(runId);
    // A fresh retry budget, and the run went on from `charge`: `enrich` ran once.
    expect(after.output).toEqual({ receipt: marker, attempt: 1 });
    expect(after.nodes.filter((n: { nodeId: string }) => n.nodeId === 'enrich')).toHaveLength(1);
    expect(done.nodes.map((n: { id: string; status: string }) => [n.id, n.status])).toEqual([
      ['enrich', 'succeeded'],
      ['charge', 'succeeded'],
      ['receipt', 'succeeded'],
    ]);
    await applied(item.id, 'approved');

    // The decision is audited without the payload; the edited payload left no copy here.
    const audit = await cp.db.auditEvent.findFirst({ where: { action: 'trash.approved', targetId: item.id } });
    expect(audit?.after).toMatchObject({ status: 'approved', payloadEdited: true, nodeId: 'charge' });
    await eventually('the command carrying the edited payload to be acknowledged and erased', async () => {
      const tables = await cp.db.$queryRawUnsafe<{ table_name: string }[]>(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`);
      for (const { table_name } of tables) {
        const [row] = await cp.db.$queryRawUnsafe<{ hit: boolean }[]>(`SELECT EXISTS (SELECT 1 FROM "${table_name}" t WHERE t::text LIKE $1) AS hit`, `%${marker}%`);
        if (row!.hit) return false;
      }
      return true;
    });

    // Deciding twice is refused.
    const again = await api('POST', `/api/v1/trash/${item.id}/reject`);
    expect(again.status).toBe(409);
    expect(again.body.detail).toContain('approved');
  });

  it('keeps the other items of a split going; the join waits for the parked one and gets every item in order after a bulk approval', async () => {
    closed.add('c');
    const { runId } = await start(
      {
        name: 'fanout',
        nodes: [
          { id: 'items', type: 'split', items: 'items' },
          { id: 'gate', type: 'http', application: 'gate', request: { method: 'GET', url: `${serverUrl}/gate?item={{ input }}` }, retry: { attempts: 1 } },
          { id: 'all', type: 'join' },
          { id: 'sum', type: 'transform', expression: '$.body.item' },
        ],
        edges: [
          { from: 'items', to: 'gate' },
          { from: 'gate', to: 'all' },
          { from: 'all', to: 'sum' },
        ],
      },
      { items: ['a', 'b', 'c', 'd'] },
    );
    const failed = await until(runId, 'failed');
    expect(failed.error).toMatchObject({ class: 'HttpServerError', nodeId: 'gate' });
    const [item] = await parkedOf(runId);
    const nodes = (await data(runId)).nodes;
    expect(nodes.filter((n: { nodeId: string; status: string }) => n.nodeId === 'gate' && n.status === 'succeeded')).toHaveLength(3);
    expect(nodes.find((n: { nodeId: string }) => n.nodeId === 'all')?.output).toBeUndefined();

    closed.delete('c');
    const bulk = await api('POST', '/api/v1/trash/approve', { filter: { runId } });
    expect(bulk.status, JSON.stringify(bulk.body)).toBe(200);
    expect(bulk.body).toEqual({ decided: [item.id], skipped: [], more: false });
    await until(runId, 'succeeded');
    expect((await data(runId)).output).toEqual(['a', 'b', 'c', 'd']);
    // Only the parked item was asked again.
    expect(asked.filter((i) => i === 'c')).toHaveLength(2);
    expect(asked.filter((i) => i === 'a')).toHaveLength(1);
  });
});

describe('rejecting', () => {
  it('lets the failure stand: the result is recorded as failed and the run stays failed', async () => {
    const { runId } = await start({ name: 'reject', nodes: [js('boom', "export default () => { throw new Error('broken') }", { retry: { attempts: 1 } })] }, {});
    await until(runId, 'failed');
    const [item] = await parkedOf(runId);
    const res = await api('POST', '/api/v1/trash/reject', { ids: [item.id, 'trash_does_not_exist'] });
    expect(res.body).toEqual({ decided: [item.id], skipped: [{ id: 'trash_does_not_exist', reason: 'not_found' }], more: false });
    await applied(item.id, 'rejected');
    const run = (await api('GET', `/api/v1/runs/${runId}`)).body;
    expect(run).toMatchObject({ status: 'failed', error: { class: 'ScriptError', nodeId: 'boom' } });
    const node = (await data(runId)).nodes[0];
    expect(node).toMatchObject({ status: 'failed', trashItemId: item.id, error: { message: expect.stringContaining('broken') } });
    expect((await cp.db.auditEvent.findFirst({ where: { action: 'trash.rejected', targetId: item.id } }))?.after).toMatchObject({ status: 'rejected' });
    expect((await api('POST', `/api/v1/trash/${item.id}/approve`)).status).toBe(409);
  });
});

describe('with the run cancelled', () => {
  it('discards its parked items, which can no longer be approved', async () => {
    const { runId } = await start(
      {
        name: 'cancelled',
        nodes: [js('boom', "export default () => { throw new Error('broken') }", { retry: { attempts: 1 } }), { id: 'wait', type: 'delay', durationMs: 60_000 }],
      },
      {},
    );
    const [item] = await parkedOf(runId);
    // The delay keeps the run going while its other branch sits in the Trash.
    expect((await api('GET', `/api/v1/runs/${runId}`)).body.status).toBe('running');
    expect((await api('POST', `/api/v1/runs/${runId}/cancel`)).status).toBe(202);
    await until(runId, 'cancelled');
    await applied(item.id, 'discarded');
    const res = await api('POST', `/api/v1/trash/${item.id}/approve`);
    expect(res.status).toBe(409);
    expect(res.body.detail).toContain('discarded');
  });
});

describe('the API', () => {
  it('refuses a bulk call naming both or neither of ids and filter, and an oversize or unstorable edited payload', async () => {
    expect((await api('POST', '/api/v1/trash/approve', {})).status).toBe(422);
    expect((await api('POST', '/api/v1/trash/approve', { ids: ['x'], filter: {} })).status).toBe(422);
    const { runId } = await start({ name: 'big', nodes: [js('boom', "export default () => { throw new Error('broken') }", { retry: { attempts: 1 } })] }, {});
    const [item] = await parkedOf(runId);
    const res = await api('POST', `/api/v1/trash/${item.id}/approve`, { payload: 'x'.repeat(11 * 1024 * 1024) });
    expect(res.status).toBe(413);
    // A NUL character cannot be stored: a 422 saying where, not an internal error.
    const nul = await api('POST', `/api/v1/trash/${item.id}/approve`, '{"payload":{"lines":[{"sku":"a\\u0000b"}]}}', { 'content-type': 'application/json' });
    expect(nul.status).toBe(422);
    expect(nul.body.detail).toContain('$.lines[0].sku');
    expect((await api('GET', `/api/v1/trash/${item.id}`)).body.status).toBe('parked');
  });
});

describe('a run whose only node parked', () => {
  it('reopens and succeeds when the item is approved with a payload that works', async () => {
    const { runId } = await start({ name: 'single', nodes: [js('charge', "export default (x) => { if (!x.card) throw new Error('card missing'); return { charged: x.card } }", { retry: { attempts: 1 } })] }, { order: 42 });
    await until(runId, 'failed');
    const [item] = await parkedOf(runId);
    expect((await api('POST', `/api/v1/trash/${item.id}/approve`, { payload: { order: 42, card: 'visa-4242' } })).status).toBe(202);
    await until(runId, 'succeeded');
    expect((await data(runId)).output).toEqual({ charged: 'visa-4242' });
  });
});
