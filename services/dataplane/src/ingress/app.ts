import { Hono, type Context } from 'hono';
import { cors } from 'hono/cors';
import type { NodeExecutionData, RunData } from '@orvanta/protocol';
import type { Db } from '../db.ts';
import type { NodeQueue } from '../engine/queue.ts';
import type { SecretStore } from '../secrets.ts';
import { MESSAGE_STATUS, streamRunLogs } from './log-stream.ts';
import { TokenRejected, type TokenVerifier } from './tokens.ts';
import { receiveWebhook } from './webhooks.ts';

const problem = (status: number, title: string, detail: string) =>
  new Response(JSON.stringify({ type: `https://orvanta.dev/problems/${title.toLowerCase().replaceAll(' ', '-')}`, title, status, detail }), {
    status,
    headers: { 'content-type': 'application/problem+json' },
  });

/** Live-log streams one ingress process serves at once; more are refused with 503 (the console then polls). */
const MAX_LOG_STREAMS = 500;

/**
 * The ingress role's HTTP surface. Browsers read run payloads here directly, with a
 * token the control plane signed for this data plane, this tenant and this run.
 */
export function createIngressApp(deps: { db: Db; verifier: TokenVerifier; ready: () => boolean; queue: NodeQueue; secrets: SecretStore }) {
  const { db, verifier } = deps;
  const app = new Hono();
  // Tokens, not cookies, authorise reads, so any console origin may call.
  app.use('/v1/*', cors({ origin: '*', allowMethods: ['GET', 'OPTIONS'], allowHeaders: ['authorization'], maxAge: 600 }));
  app.onError((err) => {
    if (err instanceof TokenRejected) return problem(401, 'Unauthorized', err.message);
    console.error(JSON.stringify({ level: 'error', msg: 'ingress error', error: String(err) }));
    return problem(500, 'Internal error', 'The data plane could not serve this request.');
  });

  app.post('/v1/hooks/:token', (c) => receiveWebhook(c, deps));

  app.get('/healthz', (c) => c.json({ ok: true, ready: deps.ready() }, deps.ready() ? 200 : 503));

  /** The run a request's token grants reading (`runs.read` on this run id), or TokenRejected. */
  const readableRun = async (c: Context) => {
    const token = c.req.query('token') ?? /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    if (!token) throw new TokenRejected('A token is required: open the run from the console or the API.');
    const claims = await verifier.verify(token);
    const runId = c.req.param('id') ?? '';
    if (claims.run_id !== runId || !claims.scope.split(' ').includes('runs.read')) throw new TokenRejected('The token does not grant access to this run.');
    return { runId, claims };
  };

  app.get('/v1/runs/:id/data', async (c) => {
    const { runId, claims } = await readableRun(c);
    const run = await db.run.findFirst({ where: { id: runId, tenantId: claims.tenant_id } });
    if (!run) return problem(404, 'Not found', 'This data plane has no such run (yet).');
    const messages = await db.message.findMany({ where: { runId, tenantId: claims.tenant_id }, include: { result: true }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    // The latest Trash item of each message that was ever parked.
    const trash = await db.trashItem.findMany({ where: { runId, tenantId: claims.tenant_id }, orderBy: { createdAt: 'asc' }, select: { id: true, messageId: true, error: true } });
    const trashOf = new Map(trash.map((t) => [t.messageId, t]));
    const nodes: NodeExecutionData[] = messages.map((m) => ({
      messageId: m.id,
      nodeId: m.nodeId,
      status: MESSAGE_STATUS[m.status] ?? 'pending',
      attempts: m.attempts,
      input: m.payload,
      ...(m.result?.output != null || m.result?.status === 'succeeded' ? { output: m.result?.output } : {}),
      ...(m.result?.error ? { error: m.result.error as NodeExecutionData['error'] } : m.status === 'parked' && trashOf.has(m.id) ? { error: trashOf.get(m.id)!.error as NodeExecutionData['error'] } : {}),
      logs: (m.result?.logs ?? []) as NodeExecutionData['logs'],
      ...(Array.isArray(m.history) && m.history.length ? { history: m.history as NodeExecutionData['history'] } : {}),
      ...(trashOf.has(m.id) ? { trashItemId: trashOf.get(m.id)!.id } : {}),
      startedAt: m.result?.startedAt.toISOString() ?? null,
      finishedAt: m.result?.finishedAt.toISOString() ?? null,
    }));
    const body: RunData = {
      runId,
      status: run.status as RunData['status'],
      input: run.input,
      ...(run.status === 'succeeded' ? { output: run.output } : {}),
      ...(run.error ? { error: run.error as RunData['error'] } : {}),
      nodes,
    };
    return c.json(body, 200, { 'cache-control': 'no-store' });
  });

  // Live log lines of the run's running nodes, as Server-Sent Events (see runLogsPath).
  let openStreams = 0;
  app.get('/v1/runs/:id/logs', async (c) => {
    const { runId, claims } = await readableRun(c);
    const cursor = c.req.header('last-event-id') ?? c.req.query('after') ?? '0';
    if (!/^\d{1,19}$/.test(cursor)) return problem(400, 'Bad request', 'after (or Last-Event-ID) must be the seq of the last line received.');
    const run = await db.run.findFirst({ where: { id: runId, tenantId: claims.tenant_id }, select: { id: true } });
    if (!run) return problem(404, 'Not found', 'This data plane has no such run (yet).');
    if (openStreams >= MAX_LOG_STREAMS) return problem(503, 'Busy', 'This data plane serves too many live log streams right now; read /data instead.');
    openStreams++;
    return streamRunLogs(c, db, { runId, tenantId: claims.tenant_id, expiresAt: claims.exp * 1000 }, BigInt(cursor), () => openStreams--);
  });
  return app;
}
