import { newId, type EventBody } from '@orvanta/protocol';
import { onPool, UTC, type Query, type Sql } from '../db.ts';

/**
 * The statements every node execution makes, over node-postgres rather than Prisma, each one
 * round trip and, where it writes, one commit: reading the message, claiming it, reading the
 * upstream outputs, recording a success that sends messages on, arriving at a join, and
 * recording a sink that may finish its run. Prisma costs about 1 ms a statement here against
 * about 0.15 ms for node-postgres, and a node made about 15 of them. What is rarer (gates,
 * failures, joins firing, subworkflows, the Trash) stays in process-message.ts, on Prisma.
 * Timestamps go in and out as db.ts's `UTC` says. Figures: docs/performance.md.
 */

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
 *
 * An item of a split (`item`) on its first attempt says `running` only if no other item at
 * this node has started: the control plane shows one status per node, which the first item
 * set, and ignores `running` once the node has finished, so the other items' would be
 * thousands of events (a third of a big split's) that change nothing. Retries still say so
 * (their attempt counts), and so does an item approved from the Trash (the control plane set
 * its node back to pending).
 */
export async function claimUngated(sql: Sql, run: { id: string; tenantId: string; status: string }, nodeId: string, messageId: string, attempt: number, item = false): Promise<boolean> {
  const at = new Date().toISOString();
  const running: EventBody = { type: 'node.status', payload: { runId: run.id, tenantId: run.tenantId, at, nodeId, status: 'running', attempt } };
  const params: unknown[] = [messageId, attempt, at, newId('evt'), JSON.stringify(running.payload), run.id, nodeId, item && attempt === 1];
  // Only a run read as queued can need starting; the update is conditional, so of two first
  // claims racing, one starts it.
  const starts = run.status === 'queued';
  if (starts) params.push(newId('evt'), JSON.stringify({ runId: run.id, tenantId: run.tenantId, at }));
  const { rows } = await sql.query<{ claimed: number }>(
    `WITH claimed AS (
       UPDATE "Message" SET "status" = 'running', "attempts" = $2, "updatedAt" = ${UTC('$3')}
       WHERE "id" = $1 AND "status" IN ${RECORDABLE} RETURNING "id", "history" IS NOT NULL AS "failedBefore"
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
         ${starts ? `SELECT 1, $9::text, 'run.started', $10::jsonb FROM started UNION ALL ` : ''}
         SELECT 2, $4::text, 'node.status', $5::jsonb FROM claimed
         WHERE NOT $8::boolean OR claimed."failedBefore" OR NOT EXISTS (
           SELECT 1 FROM "Message" s
           WHERE s."runId" = $6 AND s."nodeId" = $7 AND s."status" IN ('running', 'done', 'failed', 'parked') AND s."id" <> $1
         )
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
  /** For a message to a join: it arrives there at once, waiting under this key (see checkJoinGroup). */
  joinKey?: string;
}

/**
 * Records a success that sends messages on: the node's result, the message done, the
 * messages it sends (pending; waiting at once, for those to a join) and its `node.status` event, in one statement guarded by the
 * message's status. False when another delivery recorded it first or it was cancelled: then
 * nothing is written.
 *
 * Such a success cannot complete a join or the run (what it sends is in flight), so unlike
 * the general `record` it needs no run lock. The message's row lock, taken by the update,
 * serialises it with a concurrent delivery, a cancel and the Trash.
 */
export async function recordSent(sql: Sql, r: Success & { sent: SentMessage[] }): Promise<boolean> {
  const success = recordingSuccess(r);
  const { rows } = await sql.query<{ recorded: number }>(
    `WITH ${success.ctes}, sent AS (
       INSERT INTO "Message" ("id", "runId", "tenantId", "nodeId", "payload", "status", "joinKey", "parentId", "branch", "createdAt", "updatedAt")
       SELECT s."id", $2, $3, s."nodeId", coalesce(s."payload", 'null'::jsonb), CASE WHEN s."joinKey" IS NULL THEN 'pending' ELSE 'waiting' END, s."joinKey",
              done."id", s."branch", ${UTC('$9')}, ${UTC('$9')}
       FROM done, ROWS FROM (jsonb_to_recordset($12::jsonb) AS ("id" text, "nodeId" text, "payload" jsonb, "branch" jsonb, "joinKey" text))
         WITH ORDINALITY AS s("id", "nodeId", "payload", "branch", "joinKey", "n")
       ORDER BY s."n"
     )
     SELECT count(*)::int AS "recorded" FROM done`,
    [...success.params, JSON.stringify(r.sent)],
  );
  return rows[0]!.recorded === 1;
}

/** A node's successful execution, to record. */
interface Success {
  run: { id: string; tenantId: string };
  nodeId: string;
  messageId: string;
  attempt: number;
  startedAt: Date;
  finishedAt: Date;
  output: unknown;
  logs: unknown[];
}

/**
 * What recording a success writes, as CTEs for one statement and their parameters ($1–$11):
 * `done` (the message, unless settled meanwhile; `guard` adds to the condition), its result
 * and its `node.status` event. $2 is the run, $3 the tenant, $9 the time it finished.
 */
function recordingSuccess(r: Success, guard = ''): { ctes: string; params: unknown[] } {
  const at = r.finishedAt.toISOString();
  return {
    ctes: `done AS (
       UPDATE "Message" SET "status" = 'done', "updatedAt" = ${UTC('$9')}
       WHERE "id" = $1 AND "status" IN ${RECORDABLE}${guard} RETURNING "id"
     ), result AS (
       INSERT INTO "NodeResult" ("messageId", "runId", "tenantId", "nodeId", "status", "output", "logs", "attempts", "startedAt", "finishedAt")
       SELECT done."id", $2, $3, $4, 'succeeded', $5::jsonb, $6::jsonb, $7, ${UTC('$8')}, ${UTC('$9')} FROM done
     ), event AS (
       INSERT INTO "OutboxEvent" ("id", "type", "payload") SELECT $10, 'node.status', $11::jsonb FROM done
     )`,
    params: [
      r.messageId,
      r.run.id,
      r.run.tenantId,
      r.nodeId,
      JSON.stringify(r.output ?? null),
      JSON.stringify(r.logs),
      r.attempt,
      r.startedAt.toISOString(),
      at,
      newId('evt'),
      JSON.stringify({ runId: r.run.id, tenantId: r.run.tenantId, at, nodeId: r.nodeId, status: 'succeeded', attempt: r.attempt }),
    ],
  };
}

/**
 * For a transaction that checks joins: no sequential scans. A run with a big split makes up
 * most of the table, so the planner expects to meet an in-flight message of it soon in a scan
 * of the table — but most of its messages are done, and a scan per arrival makes a split's
 * join quadratic (measured: 28,000 rows read per item of a 10,000-item split). The
 * (runId, nodeId, status) index finds the in-flight ones directly.
 */
export const JOIN_SCAN = 'SET LOCAL enable_seqscan = off';

/**
 * Whether a join must still wait for its group (a split's group id, or `run` for a join of
 * predecessors): a message that could still reach it has one of `statuses` (by default: it is
 * pending, running or parked) at `nodeIds` (the join and its upstream nodes). To be exact it
 * runs after the run's lock is taken (a snapshot from before it could miss a message that
 * arrived meanwhile).
 */
export async function joinBlocked(query: Query, runId: string, nodeIds: string[], group: string, statuses = ['pending', 'running', 'parked']): Promise<boolean> {
  const [row] = await query<{ blocked: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM "Message"
       WHERE "runId" = $1 AND "nodeId" = ANY($2::text[]) AND "status" = ANY($5::text[])
         AND ($3 = 'run' OR "branch" @> $4::jsonb)
     ) AS "blocked"`,
    [runId, nodeIds, group, JSON.stringify([{ group }]), statuses],
  );
  return row!.blocked;
}

/**
 * A message arriving at a join: it waits there (status `waiting` under its join key), and
 * the join's group is checked. No run lock: the arrival commits first and checks after, so
 * of the last arrivals at least one sees every other one arrived. Returns 'waiting' when
 * a message of the group is still in flight to the join (pending or running) — the common
 * case, once per item of a split, and then that message's own arrival checks again later;
 * 'settled' when there is nothing to do (settled otherwise, or the run is over); and 'check'
 * when this may have been the last arrival (or something is parked in the Trash, or the run
 * has yet to start): the caller settles the run under its lock (process-message.ts `settle`).
 * A redelivered arrival (a crash after the commit) checks again.
 */
export async function arriveAtJoin(sql: Sql, runId: string, messageId: string, joinKey: string, from: string[]): Promise<'waiting' | 'settled' | 'check'> {
  const { rows } = await sql.query<{ arrived: number; status: string | null; runStatus: string | null }>(
    `WITH arrived AS (
       UPDATE "Message" SET "status" = 'waiting', "joinKey" = $3, "updatedAt" = ${UTC('$4')}
       WHERE "id" = $1 AND "status" IN ${RECORDABLE} RETURNING "id"
     )
     SELECT (SELECT count(*) FROM arrived)::int AS "arrived",
            (SELECT "status" FROM "Message" WHERE "id" = $1) AS "status",
            (SELECT "status" FROM "Run" WHERE "id" = $2) AS "runStatus"`,
    [messageId, runId, joinKey, new Date().toISOString()],
  );
  const { arrived, status, runStatus } = rows[0]!;
  if (arrived === 0 && status !== 'waiting') return 'settled';
  if (!runStatus || ['succeeded', 'failed', 'cancelled'].includes(runStatus)) return 'settled';
  if (runStatus === 'queued') return 'check';
  return checkJoinGroup(sql, runId, joinKey, from);
}

/**
 * After an arrival at a join committed: 'waiting' while a message of the join's group is in
 * flight to it (pending or running at `from`, the join and its upstream nodes) — that
 * message's own arrival checks again later — else 'check': the run is to be settled under its
 * lock (process-message.ts `settleJoin`).
 */
export async function checkJoinGroup(sql: Sql, runId: string, joinKey: string, from: string[]): Promise<'waiting' | 'check'> {
  const client = await sql.connect();
  try {
    await client.query(`BEGIN; ${JOIN_SCAN}`);
    const blocked = await joinBlocked(onPool(client), runId, from, joinKey.slice(joinKey.indexOf('|') + 1), ['pending', 'running']);
    await client.query('COMMIT');
    return blocked ? 'waiting' : 'check';
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Runs to settle: a message has waited at a join for a while and nothing of its run is in
 * flight any more. Normally the last arrival settles its run; this finds one whose settling
 * was lost (a crash right after the arrival committed), for the reconciler.
 */
export async function runsStuckAtJoins(sql: Sql, olderThanMs: number, limit = 100): Promise<string[]> {
  const { rows } = await sql.query<{ runId: string }>(
    `SELECT w."runId" FROM (
       SELECT DISTINCT "runId" FROM "Message"
       WHERE "status" = 'waiting' AND "joinKey" NOT LIKE 'sub|%' AND "updatedAt" < ${UTC('$1')}
     ) w
     JOIN "Run" r ON r."id" = w."runId" AND r."status" = 'running'
     WHERE NOT EXISTS (SELECT 1 FROM "Message" x WHERE x."runId" = w."runId" AND x."status" IN ('pending', 'running'))
       -- A subworkflow node waiting on its child run is in flight too.
       AND NOT EXISTS (SELECT 1 FROM "Message" s WHERE s."runId" = w."runId" AND s."status" = 'waiting' AND s."joinKey" LIKE 'sub|%')
     LIMIT $2`,
    [new Date(Date.now() - olderThanMs).toISOString(), limit],
  );
  return rows.map((r) => r.runId);
}

/**
 * Keeps a running message's row fresh while a worker runs it outside its own queue job (the
 * worker carrying a chain on, worker.ts): the reconciler re-enqueues a running message
 * whose row has gone quiet and that has no job, which is how a crashed worker's message
 * comes back.
 */
export async function touchRunning(sql: Sql, messageId: string): Promise<void> {
  await sql.query(`UPDATE "Message" SET "updatedAt" = ${UTC('$2')} WHERE "id" = $1 AND "status" = 'running'`, [messageId, new Date().toISOString()]);
}

/**
 * A run's output from its sink nodes' results (in the order they finished): the value itself
 * when one sink produced one result, otherwise an object keyed by sink node id.
 */
export function runOutputOf(results: { nodeId: string; output: unknown }[]): unknown {
  if (results.length === 1) return results[0]!.output;
  const byNode: Record<string, unknown> = {};
  for (const r of results) {
    const prev = byNode[r.nodeId];
    byNode[r.nodeId] = prev === undefined ? r.output : Array.isArray(prev) ? [...prev, r.output] : [prev, r.output];
  }
  return byNode;
}

const TERMINAL = ['succeeded', 'failed', 'cancelled'];

/**
 * Records a success that sends nothing on (a sink) in a run without joins and, when nothing
 * else of the run is in flight, finishes it: its output from the sinks, `run.finished`. One
 * transaction under the run's lock, as the general path (process-message.ts `record` and
 * `settle`), in a few statements instead of about fifteen. Returns 'settled' when another
 * delivery or a cancel settled the message first, 'recorded' when the run goes on (or was
 * over), 'finished'; and 'general', having written nothing, for what it leaves to the general
 * path: something parked, failed or waiting in the run, or a parent run waiting on this one.
 */
export async function recordLast(sql: Sql, r: Success & { sinks: string[] }): Promise<'settled' | 'recorded' | 'finished' | 'general'> {
  const at = r.finishedAt.toISOString();
  const success = recordingSuccess(r, ' AND EXISTS (SELECT 1 FROM run)');
  const client = await sql.connect();
  let open = false;
  const end = async (how: 'COMMIT' | 'ROLLBACK') => {
    open = false;
    await client.query(how);
  };
  try {
    await client.query('BEGIN');
    open = true;
    const { rows } = await client.query<{ recorded: number; runStatus: string | null; resumptions: number | null }>(
      `WITH run AS (SELECT "status", "resumptions" FROM "Run" WHERE "id" = $2 FOR UPDATE), ${success.ctes}
       SELECT (SELECT count(*) FROM done)::int AS "recorded", (SELECT "status" FROM run) AS "runStatus", (SELECT "resumptions" FROM run) AS "resumptions"`,
      success.params,
    );
    const { recorded, runStatus, resumptions } = rows[0]!;
    if (recorded === 0) {
      await end('COMMIT');
      return 'settled';
    }
    // A finished run starts and finishes nothing more (a failed one waits for its Trash items).
    const busy = !runStatus || TERMINAL.includes(runStatus) || (await client.query<{ busy: boolean }>(`SELECT EXISTS (SELECT 1 FROM "Message" WHERE "runId" = $1 AND "status" IN ('pending', 'running')) AS "busy"`, [r.run.id])).rows[0]!.busy;
    if (busy) {
      await end('COMMIT');
      return 'recorded';
    }
    const { rows: state } = await client.query<{ unsettled: number; hasParent: boolean }>(
      `SELECT count(*) FILTER (WHERE "status" IN ('waiting', 'parked', 'failed'))::int AS "unsettled",
              EXISTS (SELECT 1 FROM "Message" p WHERE p."joinKey" = 'sub|' || $1 AND p."status" = 'waiting') AS "hasParent"
       FROM "Message" WHERE "runId" = $1`,
      [r.run.id],
    );
    if (state[0]!.unsettled > 0 || state[0]!.hasParent) {
      await end('ROLLBACK');
      return 'general';
    }
    const { rows: results } = await client.query<{ nodeId: string; output: unknown }>(
      `SELECT "nodeId", "output" FROM "NodeResult" WHERE "runId" = $1 AND "status" = 'succeeded' AND "nodeId" = ANY($2::text[]) ORDER BY "finishedAt"`,
      [r.run.id, r.sinks],
    );
    const output = runOutputOf(results);
    const finished = { runId: r.run.id, tenantId: r.run.tenantId, at, status: 'succeeded', outputBytes: Buffer.byteLength(JSON.stringify(output ?? null)), resumption: resumptions ?? 0 };
    await client.query(
      `WITH updated AS (
         UPDATE "Run" SET "status" = 'succeeded', "finishedAt" = ${UTC('$2')}, "output" = $3::jsonb WHERE "id" = $1 RETURNING "id"
       )
       INSERT INTO "OutboxEvent" ("id", "type", "payload") SELECT $4, 'run.finished', $5::jsonb FROM updated`,
      [r.run.id, at, JSON.stringify(output ?? null), newId('evt'), JSON.stringify(finished)],
    );
    await end('COMMIT');
    return 'finished';
  } finally {
    if (open) await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }
}
