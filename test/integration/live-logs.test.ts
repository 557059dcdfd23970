import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLogsPath } from '@orvanta/protocol';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.ts';
import { createTestDataPlane, type TestDataPlane } from '../support/data-plane.ts';
import { apiClient, eventually } from '../support/http.ts';

/**
 * Streaming logs: a running script node's lines reach the browser through the data plane's
 * ingress (`GET /v1/runs/{id}/logs`, Server-Sent Events) before the node finishes, redacted
 * like recorded outputs, behind the same token as `/data`; once the node's result is recorded
 * its live rows are gone and `/data` holds the full logs.
 */
let cp: TestControlPlane;
let dp: TestDataPlane;
let api: ReturnType<typeof apiClient>;
let otherTenant: ReturnType<typeof apiClient>;
let db: pg.Client;
const SECRET = 'live-logs-secret-7f3a9c';

beforeAll(async () => {
  cp = await startTestControlPlane();
  const token = await cp.dataPlane('dp_live');
  api = apiClient(cp.url, (await cp.tenant('live', 'dp_live')).apiKey);
  otherTenant = apiClient(cp.url, (await cp.tenant('live-other', 'dp_live')).apiKey);
  dp = await createTestDataPlane({ controlPlaneUrl: cp.url, enrollmentToken: token, env: { SCRIPT_TIMEOUT_MS: '15000' } });
  await dp.start();
  db = new pg.Client({ connectionString: dp.databaseUrl });
  await db.connect();
  expect((await api('PUT', '/api/v1/secrets/LIVE_TOKEN', { value: SECRET })).status).toBe(200);
}, 60_000);

afterAll(async () => {
  await db?.end();
  await dp?.dispose();
  await cp?.stop();
});

interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

/** Reads a Server-Sent Events response until it ends, handing each event to `onEvent`. */
async function readEvents(response: Response, onEvent: (event: SseEvent) => void): Promise<void> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += value;
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event: SseEvent = { event: 'message', data: '' };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event.event = value;
        else if (field === 'id') event.id = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length === 0) continue;
      event.data = data.join('\n');
      onEvent(event);
    }
  }
}

async function startRun(client: ReturnType<typeof apiClient>, name: string, code: string, input: unknown, extra: Record<string, unknown> = {}) {
  const created = await client('POST', '/api/v1/workflows', { name, nodes: [{ id: 'talk', type: 'script', language: 'javascript', code, ...extra }] });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const started = await client('POST', `/api/v1/workflows/${created.body.id}/runs`, { input });
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  const runId = started.body.id as string;
  const link = await eventually(`the data link of ${runId}`, async () => (await client('GET', `/api/v1/runs/${runId}`)).body.links?.data as string | undefined);
  // The run reaches the data plane through its agent: until then both endpoints answer 404.
  await eventually(`run ${runId} on the data plane`, async () => (await fetch(link)).ok);
  // The same signed link, on the streaming path.
  const logs = new URL(link);
  logs.pathname = runLogsPath(runId);
  return { runId, dataLink: link, logsLink: logs.toString() };
}

async function finished(client: ReturnType<typeof apiClient>, runId: string) {
  return eventually(`run ${runId} to finish`, async () => {
    const res = await client('GET', `/api/v1/runs/${runId}`);
    return ['succeeded', 'failed', 'cancelled'].includes(res.body.status) ? res.body : undefined;
  });
}

const spin = (ms: number) => `{ const until = Date.now() + ${ms}; while (Date.now() < until); }`;

describe('live logs', () => {
  it('streams a running node’s lines before it finishes, redacted, and hands over to /data once it is recorded', async () => {
    const code = `export default (input) => {
      console.log('first line');
      console.warn('token is ' + input.token);
      ${spin(2000)}
      console.log('second line');
      ${spin(1500)}
      console.log('last line');
      return { done: true };
    }`;
    const { runId, dataLink, logsLink } = await startRun(api, 'talker', code, { token: SECRET });
    expect(logsLink).toContain(`/v1/runs/${runId}/logs?token=`);

    const response = await fetch(logsLink);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(response.headers.get('access-control-allow-origin')).toBe('*');

    const events: SseEvent[] = [];
    let resumed: Promise<SseEvent[]> | undefined;
    await readEvents(response, (event) => {
      events.push(event);
      // Once the first line is in, a second stream resumes after it, as EventSource would.
      if (event.event === 'log' && !resumed) {
        resumed = fetch(logsLink, { headers: { 'last-event-id': event.id! } }).then(async (r) => {
          const again: SseEvent[] = [];
          await readEvents(r, (e) => again.push(e));
          return again;
        });
      }
    });

    const raw = JSON.stringify(events);
    expect(raw).not.toContain(SECRET);
    const order = events.map((e) => {
      const data = JSON.parse(e.data) as { message?: string; status?: string };
      return e.event === 'log' ? `log:${data.message}` : `${e.event}:${data.status}`;
    });
    // The node was seen running, its first lines arrived, then it finished, then the run ended.
    const firstLine = order.indexOf('log:first line');
    const nodeDone = order.indexOf('node:succeeded');
    expect(firstLine, order.join(', ')).toBeGreaterThan(order.indexOf('node:running'));
    expect(nodeDone, order.join(', ')).toBeGreaterThan(firstLine);
    expect(order.indexOf('log:token is [redacted]')).toBeGreaterThan(firstLine);
    expect(order.indexOf('log:second line')).toBeGreaterThan(firstLine);
    expect(order.indexOf('log:second line')).toBeLessThan(nodeDone);
    expect(order.at(-1)).toBe('end:succeeded');
    const lines = events.filter((e) => e.event === 'log').map((e) => JSON.parse(e.data) as { seq: string; nodeId: string; attempt: number; level: string });
    expect(lines.every((l) => l.nodeId === 'talk' && l.attempt === 1)).toBe(true);
    expect(lines.map((l) => BigInt(l.seq))).toEqual(lines.map((l) => BigInt(l.seq)).sort((a, b) => (a < b ? -1 : 1)));
    expect(events.filter((e) => e.event === 'log').every((e) => e.id === JSON.parse(e.data).seq)).toBe(true);

    // The resumed stream starts after the line it was given.
    const again = (await resumed!).filter((e) => e.event === 'log').map((e) => JSON.parse(e.data).message);
    expect(again).not.toContain('first line');
    expect(again).toContain('second line');

    // Recorded: the live rows went in the same transaction; /data has every line, redacted.
    const run = await finished(api, runId);
    expect(run.status).toBe('succeeded');
    expect((await db.query('SELECT count(*)::int AS n FROM "NodeLog" WHERE "runId" = $1', [runId])).rows[0].n).toBe(0);
    const data = await (await fetch(dataLink)).json();
    expect(data.nodes[0].logs.map((l: { message: string }) => l.message)).toEqual(['first line', 'token is [redacted]', 'second line', 'last line']);

    // A terminal run's stream says so and ends at once.
    const late: SseEvent[] = [];
    await readEvents(await fetch(logsLink), (e) => late.push(e));
    expect(late.map((e) => e.event)).toEqual(['run', 'end']);
  }, 60_000);

  it('refuses a token for another run or another tenant, and no token at all', async () => {
    const mine = await startRun(api, 'quiet', 'export default () => 1', null);
    const other = await startRun(otherTenant, 'theirs', 'export default () => 2', null);
    const withTokenOf = (link: string, runId: string) => {
      const url = new URL(link);
      url.pathname = `/v1/runs/${runId}/logs`;
      return url.toString();
    };
    // My token, another run of mine: refused.
    const second = await startRun(api, 'quiet-2', 'export default () => 3', null);
    const refused = [withTokenOf(mine.logsLink, second.runId), withTokenOf(other.logsLink, mine.runId), withTokenOf(mine.logsLink, other.runId)];
    for (const url of refused) {
      const res = await fetch(url);
      expect(res.status, url).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    const bare = new URL(mine.logsLink);
    bare.search = '';
    expect((await fetch(bare)).status).toBe(401);
    expect((await fetch(`${mine.logsLink}&after=not-a-number`)).status).toBe(400);
    // Each token opens its own run's stream.
    for (const link of [mine.logsLink, other.logsLink]) {
      const res = await fetch(link);
      expect(res.status).toBe(200);
      await res.body!.cancel();
    }
  }, 60_000);

  it('labels each attempt’s lines and leaves no live rows behind after a retry', async () => {
    const code = `export default (input, ctx) => {
      console.log('attempt ' + ctx.attempt);
      ${spin(1200)}
      if (ctx.attempt === 1) throw new Error('first attempt fails');
      return ctx.attempt;
    }`;
    const { runId, logsLink, dataLink } = await startRun(api, 'retrier', code, null, { retry: { attempts: 2, delayMs: 10 } });
    const lines: { message: string; attempt: number }[] = [];
    await readEvents(await fetch(logsLink), (e) => {
      if (e.event === 'log') lines.push(JSON.parse(e.data));
    });
    expect(lines).toContainEqual(expect.objectContaining({ message: 'attempt 2', attempt: 2 }));
    for (const line of lines) expect(line.message).toBe(`attempt ${line.attempt}`);
    expect((await finished(api, runId)).status).toBe('succeeded');
    expect((await db.query('SELECT count(*)::int AS n FROM "NodeLog" WHERE "runId" = $1', [runId])).rows[0].n).toBe(0);
    const node = (await (await fetch(dataLink)).json()).nodes[0];
    expect(node.logs.map((l: { message: string }) => l.message)).toEqual(['attempt 2']);
    expect(node.history[0].logs.map((l: { message: string }) => l.message)).toEqual(['attempt 1']);
  }, 60_000);
});
