import { newId, type EventBody } from '@orvanta/protocol';
import type { Sql } from '../db.ts';

/**
 * The statements every node execution makes, over node-postgres rather than Prisma, each one
 * round trip and, where it writes, one commit: reading the message, claiming it, reading the
 * upstream outputs and recording a success that sends messages on. Prisma costs about 1 ms
 * a statement here against about 0.15 ms for node-postgres, and a node made about 15 of them.
 * What is rarer (gates, joins, failures, a run's completion) stays in process-message.ts.
 *
 * Timestamps: the columns are `timestamp(3)` holding UTC, as Prisma writes them. Values go
 * in as ISO strings converted in SQL and come out as epoch milliseconds, so neither depends
 * on the process's or the session's time zone.
 */

const UTC = (param: string) => `(${param}::timestamptz AT TIME ZONE 'UTC')`;

/** The statuses a message can be recorded from: anything else was settled by another delivery or a cancel. */
const RECORDABLE = `('pending', 'running')`;

export interface RunOfMessage {
  id: string;
  tenantId: string;
  workflowId: string;
  workflowVersionId: string;
  status: string;
}

export interface MessageToProcess {
  id: string;
  nodeId: string;
  status: string;
  attempts: number;
  payload: unknown;
  branch: unknown;
  availableAt: Date | null;
  run: RunOfMessage;
}

/** A message with its run, in one statement. */
export async function readMessage(sql: Sql, messageId: string): Promise<MessageToProcess | undefined> {
  const { rows } = await sql.query<{
    id: string;
    nodeId: string;
    status: string;
    attempts: number;
    payload: unknown;
    branch: unknown;
    availableAtMs: number | null;
    runId: string;
    tenantId: string;
    workflowId: string;
    workflowVersionId: string;
    runStatus: string;
  }>(
    `SELECT m."id", m."nodeId", m."status", m."attempts", m."payload", m."branch",
            (extract(epoch FROM m."availableAt") * 1000)::float8 AS "availableAtMs",
            r."id" AS "runId", r."tenantId", r."workflowId", r."workflowVersionId", r."status" AS "runStatus"
     FROM "Message" m JOIN "Run" r ON r."id" = m."runId" WHERE m."id" = $1`,
    [messageId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    id: row.id,
    nodeId: row.nodeId,
    status: row.status,
    attempts: row.attempts,
    payload: row.payload,
    branch: row.branch,
    availableAt: row.availableAtMs === null ? null : new Date(row.availableAtMs),
    run: { id: row.runId, tenantId: row.tenantId, workflowId: row.workflowId, workflowVersionId: row.workflowVersionId, status: row.runStatus },
  };
}

/**
 * Claims a message that has no gate to pass (no node concurrency, no application): marks it
 * running at this attempt with its `node.status` event and, for a run's first claim, starts
 * the run with its `run.started` event before it. One statement: all of it, or nothing when
 * the message was settled meanwhile (a cancel) — then false.
 */
export async function claimUngated(sql: Sql, run: { id: string; tenantId: string; status: string }, nodeId: string, messageId: string, attempt: number): Promise<boolean> {
  const at = new Date().toISOString();
  const running: EventBody = { type: 'node.status', payload: { runId: run.id, tenantId: run.tenantId, at, nodeId, status: 'running', attempt } };
  const params: unknown[] = [messageId, attempt, at, newId('evt'), JSON.stringify(running.payload)];
  // Only a run read as queued can need starting; the update is conditional, so of two first
  // claims racing, one starts it.
  const starts = run.status === 'queued';
  if (starts) params.push(run.id, newId('evt'), JSON.stringify({ runId: run.id, tenantId: run.tenantId, at }));
  const { rows } = await sql.query<{ claimed: number }>(
    `WITH claimed AS (
       UPDATE "Message" SET "status" = 'running', "attempts" = $2, "updatedAt" = ${UTC('$3')}
       WHERE "id" = $1 AND "status" IN ${RECORDABLE} RETURNING "id"
     )${
       starts
         ? `, started AS (
       UPDATE "Run" SET "status" = 'running', "startedAt" = ${UTC('$3')}
       WHERE "id" = $6 AND "status" = 'queued' AND EXISTS (SELECT 1 FROM claimed) RETURNING "id"
     )`
         : ''
     }, events AS (
       INSERT INTO "OutboxEvent" ("id", "type", "payload")
       SELECT e."id", e."type", e."payload" FROM (
         ${starts ? `SELECT 1, $7::text, 'run.started', $8::jsonb FROM started UNION ALL ` : ''}
         SELECT 2, $4::text, 'node.status', $5::jsonb FROM claimed
       ) e ("n", "id", "type", "payload") ORDER BY e."n"
     )
     SELECT count(*)::int AS "claimed" FROM claimed`,
    params,
  );
  return rows[0]!.claimed === 1;
}

/** The latest output of each of these nodes in the run (one per node, however many items a split sent through it). */
export async function upstreamOutputs(sql: Sql, runId: string, nodeIds: string[]): Promise<Record<string, unknown>> {
  if (nodeIds.length === 0) return {};
  const { rows } = await sql.query<{ nodeId: string; output: unknown }>(
    `SELECT DISTINCT ON ("nodeId") "nodeId", "output" FROM "NodeResult"
     WHERE "runId" = $1 AND "status" = 'succeeded' AND "nodeId" = ANY($2::text[])
     ORDER BY "nodeId", "finishedAt" DESC`,
    [runId, nodeIds],
  );
  return Object.fromEntries(rows.map((r) => [r.nodeId, r.output]));
}

export interface SentMessage {
  id: string;
  nodeId: string;
  payload: unknown;
  /** Split lineage; omitted (NULL) when empty. */
  branch?: unknown[];
}

/**
 * Records a success that sends messages on: the node's result, the message done, the
 * messages it sends (pending) and its `node.status` event, in one statement guarded by the
 * message's status. False when another delivery recorded it first or it was cancelled: then
 * nothing is written.
 *
 * Such a success cannot complete a join or the run (what it sends is in flight), so unlike
 * the general `record` it needs no run lock. The message's row lock, taken by the update,
 * serialises it with a concurrent delivery, a cancel and the Trash.
 */
export async function recordSent(
  sql: Sql,
  r: { run: { id: string; tenantId: string }; nodeId: string; messageId: string; attempt: number; startedAt: Date; finishedAt: Date; output: unknown; logs: unknown[]; sent: SentMessage[] },
): Promise<boolean> {
  const at = r.finishedAt.toISOString();
  const event = { runId: r.run.id, tenantId: r.run.tenantId, at, nodeId: r.nodeId, status: 'succeeded', attempt: r.attempt };
  const { rows } = await sql.query<{ recorded: number }>(
    `WITH done AS (
       UPDATE "Message" SET "status" = 'done', "updatedAt" = ${UTC('$9')}
       WHERE "id" = $1 AND "status" IN ${RECORDABLE} RETURNING "id"
     ), result AS (
       INSERT INTO "NodeResult" ("messageId", "runId", "tenantId", "nodeId", "status", "output", "logs", "attempts", "startedAt", "finishedAt")
       SELECT done."id", $2, $3, $4, 'succeeded', $5::jsonb, $6::jsonb, $7, ${UTC('$8')}, ${UTC('$9')} FROM done
     ), sent AS (
       INSERT INTO "Message" ("id", "runId", "tenantId", "nodeId", "payload", "status", "parentId", "branch", "createdAt", "updatedAt")
       SELECT s."id", $2, $3, s."nodeId", coalesce(s."payload", 'null'::jsonb), 'pending', done."id", s."branch", ${UTC('$9')}, ${UTC('$9')}
       FROM done, ROWS FROM (jsonb_to_recordset($10::jsonb) AS ("id" text, "nodeId" text, "payload" jsonb, "branch" jsonb)) WITH ORDINALITY AS s("id", "nodeId", "payload", "branch", "n")
       ORDER BY s."n"
     ), event AS (
       INSERT INTO "OutboxEvent" ("id", "type", "payload") SELECT $11, 'node.status', $12::jsonb FROM done
     )
     SELECT count(*)::int AS "recorded" FROM done`,
    [
      r.messageId,
      r.run.id,
      r.run.tenantId,
      r.nodeId,
      JSON.stringify(r.output ?? null),
      JSON.stringify(r.logs),
      r.attempt,
      r.startedAt.toISOString(),
      at,
      JSON.stringify(r.sent),
      newId('evt'),
      JSON.stringify(event),
    ],
  );
  return rows[0]!.recorded === 1;
}
