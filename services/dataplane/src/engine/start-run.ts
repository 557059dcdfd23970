import { entryNodes, type WorkflowDocument } from '@orvanta/spec';
import { newId, type CommandEnvelope } from '@orvanta/protocol';
import { inTx, UTC, type Prisma, type Query, type Tx } from '../db.ts';
import type { NodeJobData } from './queue.ts';

export type RunStartCommand = Extract<CommandEnvelope, { type: 'run.start' }>;
type VersionRef = RunStartCommand['payload']['workflowVersion'];

/** Stores a workflow version as the data plane runs it (versions are immutable). */
export async function storeVersion(tx: Tx, tenantId: string, version: VersionRef): Promise<void> {
  await tx.workflowVersion.upsert({
    where: { id: version.id },
    create: { id: version.id, tenantId, workflowId: version.workflowId, version: version.version, document: version.document as Prisma.InputJsonValue },
    update: {},
  });
}

/** A run to create, of a version whose document is at hand or stored. */
export interface NewRun {
  runId: string;
  tenantId: string;
  workflowId: string;
  workflowVersionId: string;
  input: unknown;
  traceparent?: string | null;
  environment?: string | null;
  /** The `run.start` command that asks for it: marked applied in the same statement. */
  commandId?: string;
}

/** Entry nodes per version (versions are immutable). */
const entries = new Map<string, string[]>();
function entryNodesOf(versionId: string, document: WorkflowDocument): string[] {
  let found = entries.get(versionId);
  if (!found) {
    found = entryNodes(document);
    if (entries.size > 10_000) entries.clear();
    entries.set(versionId, found);
  }
  return found;
}

/**
 * Creates runs with their entry messages and `run.accepted` events, and stores the versions
 * they need — one statement however many. A run that exists already (a redelivered command)
 * is skipped, as is a command already applied; commands are marked applied either way.
 * Returns the jobs to enqueue once committed.
 */
export async function insertRuns(query: Query, runs: (NewRun & { document: WorkflowDocument })[], versions: VersionRef[] = []): Promise<NodeJobData[]> {
  if (runs.length === 0) return [];
  const at = new Date().toISOString();
  const rows = runs.map((run) => {
    const input = run.input ?? null;
    return {
      runId: run.runId,
      tenantId: run.tenantId,
      workflowId: run.workflowId,
      workflowVersionId: run.workflowVersionId,
      input,
      traceparent: run.traceparent ?? null,
      environment: run.environment ?? null,
      commandId: run.commandId ?? null,
      eventId: newId('evt'),
      event: { runId: run.runId, tenantId: run.tenantId, at, inputBytes: Buffer.byteLength(JSON.stringify(input)) },
      messages: entryNodesOf(run.workflowVersionId, run.document).map((nodeId) => ({ id: newId('msg'), nodeId })),
    };
  });
  const distinctVersions = [...new Map(versions.map((v) => [v.id, v])).values()];
  const created = await query<{ runId: string; tenantId: string; messages: { id: string }[] }>(
    `WITH versions AS (
       INSERT INTO "WorkflowVersion" ("id", "tenantId", "workflowId", "version", "document", "createdAt")
       SELECT v."id", v."tenantId", v."workflowId", v."version", v."document", ${UTC('$3')}
       FROM jsonb_to_recordset($1::jsonb) AS v("id" text, "tenantId" text, "workflowId" text, "version" int, "document" jsonb)
       ON CONFLICT ("id") DO NOTHING
     ), asked AS (
       SELECT * FROM ROWS FROM (jsonb_to_recordset($2::jsonb) AS (
         "runId" text, "tenantId" text, "workflowId" text, "workflowVersionId" text, "input" jsonb, "traceparent" text,
         "environment" text, "commandId" text, "eventId" text, "event" jsonb, "messages" jsonb
       )) WITH ORDINALITY AS a("runId", "tenantId", "workflowId", "workflowVersionId", "input", "traceparent", "environment", "commandId", "eventId", "event", "messages", "n")
     ), fresh AS (
       SELECT a.* FROM asked a
       WHERE NOT EXISTS (SELECT 1 FROM "Run" r WHERE r."id" = a."runId")
         AND (a."commandId" IS NULL OR NOT EXISTS (SELECT 1 FROM "AppliedCommand" c WHERE c."id" = a."commandId"))
     ), runs AS (
       INSERT INTO "Run" ("id", "tenantId", "workflowId", "workflowVersionId", "status", "input", "traceparent", "environment", "createdAt")
       SELECT f."runId", f."tenantId", f."workflowId", f."workflowVersionId", 'queued', coalesce(f."input", 'null'::jsonb), f."traceparent", f."environment", ${UTC('$3')}
       FROM fresh f
     ), messages AS (
       INSERT INTO "Message" ("id", "runId", "tenantId", "nodeId", "payload", "status", "createdAt", "updatedAt")
       SELECT m."id", f."runId", f."tenantId", m."nodeId", coalesce(f."input", 'null'::jsonb), 'pending', ${UTC('$3')}, ${UTC('$3')}
       FROM fresh f, jsonb_to_recordset(f."messages") AS m("id" text, "nodeId" text)
     ), events AS (
       INSERT INTO "OutboxEvent" ("id", "type", "payload") SELECT f."eventId", 'run.accepted', f."event" FROM fresh f ORDER BY f."n"
     ), applied AS (
       INSERT INTO "AppliedCommand" ("id", "type", "appliedAt") SELECT a."commandId", 'run.start', ${UTC('$3')} FROM asked a WHERE a."commandId" IS NOT NULL
       ON CONFLICT ("id") DO NOTHING
     )
     SELECT f."runId", f."tenantId", f."messages" FROM fresh f ORDER BY f."n"`,
    [
      JSON.stringify(distinctVersions.map((v) => ({ id: v.id, tenantId: runs.find((r) => r.workflowVersionId === v.id)?.tenantId, workflowId: v.workflowId, version: v.version, document: v.document }))),
      JSON.stringify(rows),
      at,
    ],
  );
  return created.flatMap((run) => run.messages.map((m) => ({ messageId: m.id, runId: run.runId, tenantId: run.tenantId })));
}

/** Creates a run of a stored version with its entry messages; returns the jobs to enqueue after commit. */
export async function createRun(tx: Tx, run: NewRun): Promise<NodeJobData[]> {
  const version = await tx.workflowVersion.findUniqueOrThrow({ where: { id: run.workflowVersionId }, select: { document: true } });
  return insertRuns(inTx(tx), [{ ...run, document: version.document as unknown as WorkflowDocument }]);
}

/**
 * Stores the runs the control plane started (consecutive `run.start` commands of one
 * tenant), with their versions and entry messages, and marks the commands applied: one
 * statement. Idempotent by run id and command id: a redelivered command changes nothing.
 * Returns the jobs to enqueue once committed.
 */
export async function acceptRuns(query: Query, commands: RunStartCommand[]): Promise<NodeJobData[]> {
  return insertRuns(
    query,
    commands.map((command) => {
      const { runId, tenantId, workflowVersion, traceparent, environment } = command.payload;
      return { runId, tenantId, workflowId: workflowVersion.workflowId, workflowVersionId: workflowVersion.id, document: workflowVersion.document as unknown as WorkflowDocument, input: command.customerData.input, traceparent, environment, commandId: command.id };
    }),
    commands.map((command) => command.payload.workflowVersion),
  );
}
