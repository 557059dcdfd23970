import type { Context } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { TERMINAL_RUN_STATUSES, type LiveLogLine, type LiveNodeEvent, type NodeStatus, type RunStatus } from '@orvanta/protocol';
import type { Db } from '../db.ts';

/** How often an open stream reads new lines and statuses: a few indexed queries per tick. */
export const POLL_MS = 400;
/** A comment line this often keeps proxies and load balancers from closing an idle stream. */
const HEARTBEAT_MS = 15_000;
/** A stream ends after this long anyway; EventSource reconnects with Last-Event-ID. */
const MAX_STREAM_MS = 5 * 60_000;
/** Lines read per query; a full page is followed by the next at once. */
const PAGE = 500;
/** EventSource's reconnection delay, sent in the first event. */
const RETRY_MS = 2000;

/** How a message's status shows as its node's (`/data` and this stream alike). */
export const MESSAGE_STATUS: Record<string, NodeStatus> = { pending: 'pending', running: 'running', done: 'succeeded', failed: 'failed', parked: 'failed', cancelled: 'cancelled' };

export interface LogStreamScope {
  runId: string;
  tenantId: string;
  /** When the token expires (ms since the epoch): the stream ends then. */
  expiresAt: number;
}

/**
 * Server-Sent Events of a run's live log lines (NodeLog rows after a cursor), message status
 * changes and run status, until the run is terminal. Polls Postgres every POLL_MS per open
 * stream rather than LISTEN/NOTIFY: a listener needs a connection of its own held for the
 * whole stream (Prisma's pool cannot LISTEN, and PgBouncer in transaction mode drops it),
 * while three indexed queries per 400 ms are cheap, bounded by the number of open streams
 * (capped by the caller), and need no trigger or channel on the write path.
 */
export function streamRunLogs(c: Context, db: Db, scope: LogStreamScope, after: bigint, onClose: () => void): Response {
  // Reverse proxies (nginx) must pass each event on at once.
  c.header('X-Accel-Buffering', 'no');
  return streamSSE(
    c,
    async (stream) => {
      try {
        await pump(stream);
      } finally {
        onClose();
      }
    },
    async () => {
      // A failed query: the stream ends and the client reconnects (or falls back to /data).
    },
  );

  async function pump(stream: SSEStreamingApi): Promise<void> {
    let closed = false;
    stream.onAbort(() => {
      closed = true;
    });
    const stop = Math.min(Date.now() + MAX_STREAM_MS, scope.expiresAt);
    let cursor = after;
    let runStatus: RunStatus | undefined;
    let running = new Map<string, { nodeId: string; attempt: number }>();
    let lastWrite = Date.now();
    let first = true;
    const send = async (event: string, data: unknown, id?: string) => {
      await stream.writeSSE({ event, data: JSON.stringify(data), ...(id ? { id } : {}), ...(first ? { retry: RETRY_MS } : {}) });
      first = false;
      lastWrite = Date.now();
    };

    while (!closed && Date.now() < stop) {
      const run = await db.run.findFirst({ where: { id: scope.runId, tenantId: scope.tenantId }, select: { status: true } });
      if (!run) return;
      const status = run.status as RunStatus;
      if (status !== runStatus) {
        runStatus = status;
        await send('run', { status });
      }

      running = await sendStatusChanges(db, scope, running, (event) => send('node', event));

      for (let full = true; full && !closed; ) {
        const lines = await readLines(db, scope, cursor);
        full = lines.length === PAGE;
        for (const line of lines) {
          cursor = BigInt(line.seq);
          if (line.current) await send('log', toLine(line), line.seq);
        }
      }

      if (TERMINAL_RUN_STATUSES.includes(status)) {
        await send('end', { status });
        return;
      }
      if (Date.now() - lastWrite >= HEARTBEAT_MS) {
        await stream.write(': ping\n\n');
        lastWrite = Date.now();
      }
      await stream.sleep(POLL_MS);
    }
  }
}

interface LineRow {
  seq: string;
  messageId: string;
  nodeId: string;
  attempt: number;
  level: string;
  message: string;
  at: Date;
  /** The message still runs this attempt: a crashed attempt's lines are not shown as live. */
  current: boolean;
}

async function readLines(db: Db, scope: LogStreamScope, after: bigint): Promise<LineRow[]> {
  return db.$queryRaw<LineRow[]>`
    SELECT l."seq"::text AS "seq", l."messageId", m."nodeId", l."attempt", l."level", l."message", l."at",
           (m."status" = 'running' AND m."attempts" = l."attempt") AS "current"
    FROM "NodeLog" l JOIN "Message" m ON m."id" = l."messageId"
    WHERE l."runId" = ${scope.runId} AND l."tenantId" = ${scope.tenantId} AND l."seq" > ${after}
    ORDER BY l."seq" LIMIT ${PAGE}`;
}

function toLine(row: LineRow): LiveLogLine {
  return { seq: row.seq, messageId: row.messageId, nodeId: row.nodeId, attempt: row.attempt, level: row.level, message: row.message, at: row.at.toISOString() };
}

/** Reports messages that started running (or started again) and those that stopped since the last tick. */
async function sendStatusChanges(
  db: Db,
  scope: LogStreamScope,
  before: Map<string, { nodeId: string; attempt: number }>,
  send: (event: LiveNodeEvent) => Promise<void>,
): Promise<Map<string, { nodeId: string; attempt: number }>> {
  const rows = await db.message.findMany({ where: { runId: scope.runId, tenantId: scope.tenantId, status: 'running' }, select: { id: true, nodeId: true, attempts: true } });
  const now = new Map(rows.map((m) => [m.id, { nodeId: m.nodeId, attempt: m.attempts }]));
  for (const [messageId, m] of now) {
    if (before.get(messageId)?.attempt !== m.attempt) await send({ messageId, nodeId: m.nodeId, status: 'running', attempt: m.attempt });
  }
  const stopped = [...before.keys()].filter((id) => !now.has(id));
  if (stopped.length > 0) {
    const settled = await db.message.findMany({ where: { id: { in: stopped }, tenantId: scope.tenantId }, select: { id: true, nodeId: true, status: true, attempts: true } });
    for (const m of settled) await send({ messageId: m.id, nodeId: m.nodeId, status: MESSAGE_STATUS[m.status] ?? 'pending', attempt: m.attempts });
  }
  return now;
}
