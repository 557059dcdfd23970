import { getNode, sinkNodes, successors, type WorkflowDocument } from '@orvanta/spec';
import { newId } from '@orvanta/protocol';
import type { Db, Prisma, Tx } from '../db.ts';
import type { Logger } from '../log.ts';
import type { SandboxLimits, SandboxPool, ScriptOutcome } from '../sandbox/index.ts';
import { emitEvent } from './outbox.ts';
import type { NodeJobData } from './queue.ts';

export interface EngineDeps {
  db: Db;
  sandbox: SandboxPool;
  limits: SandboxLimits;
  log: Logger;
}

const SETTLED = ['done', 'failed', 'cancelled'];
const TERMINAL_RUN = ['succeeded', 'failed', 'cancelled'];
const json = (value: unknown) => (value ?? null) as Prisma.InputJsonValue;

/** Versions are immutable, so they are cached for the life of the process. */
const documents = new Map<string, WorkflowDocument>();
async function loadDocument(db: Db, versionId: string): Promise<WorkflowDocument> {
  let doc = documents.get(versionId);
  if (!doc) {
    const row = await db.workflowVersion.findUniqueOrThrow({ where: { id: versionId } });
    doc = row.document as unknown as WorkflowDocument;
    documents.set(versionId, doc);
  }
  return doc;
}

/**
 * Runs one message through its node. Node code runs at least once; its result is
 * recorded exactly once (guarded by the message's status under a run lock); successor
 * messages are created in that same transaction and returned for enqueueing.
 */
export async function processMessage(deps: EngineDeps, messageId: string): Promise<NodeJobData[]> {
  const { db } = deps;
  const message = await db.message.findUnique({ where: { id: messageId }, include: { run: true } });
  if (!message || SETTLED.includes(message.status)) return [];
  const { run } = message;
  if (TERMINAL_RUN.includes(run.status)) {
    await db.message.updateMany({ where: { id: messageId, status: { in: ['pending', 'running'] } }, data: { status: 'cancelled' } });
    return [];
  }
  const document = await loadDocument(db, run.workflowVersionId);
  const node = getNode(document, message.nodeId);
  const attempt = message.attempts + 1;

  const claimed = await db.$transaction(async (tx) => {
    // Conditional, so a message cancelled meanwhile is not revived.
    const { count } = await tx.message.updateMany({ where: { id: messageId, status: { in: ['pending', 'running'] } }, data: { status: 'running', attempts: attempt } });
    if (count === 0) return false;
    const at = new Date();
    if (run.status === 'queued') {
      const started = await tx.run.updateMany({ where: { id: run.id, status: 'queued' }, data: { status: 'running', startedAt: at } });
      if (started.count === 1) await emitEvent(tx, { type: 'run.started', payload: { runId: run.id, tenantId: run.tenantId, at: at.toISOString() } });
    }
    await emitEvent(tx, { type: 'node.status', payload: { runId: run.id, tenantId: run.tenantId, at: at.toISOString(), nodeId: node.id, status: 'running', attempt } });
    return true;
  });
  if (!claimed) return [];

  const startedAt = new Date();
  const upstream = await db.nodeResult.findMany({ where: { runId: run.id, status: 'succeeded' }, orderBy: { finishedAt: 'asc' }, select: { nodeId: true, output: true } });
  const outcome: ScriptOutcome = await deps.sandbox.run({
    code: node.code,
    filename: `${node.id}.js`,
    input: message.payload,
    ctx: {
      node: { id: node.id, type: node.type, name: node.name ?? node.id },
      run: { id: run.id, workflowId: run.workflowId },
      attempt,
      idempotencyKey: message.id,
      outputs: Object.fromEntries(upstream.map((r) => [r.nodeId, r.output])),
    },
    limits: { ...deps.limits, timeoutMs: node.timeoutMs ?? deps.limits.timeoutMs },
  });

  return db.$transaction((tx) => recordOutcome(tx, { document, messageId, nodeId: node.id, attempt, startedAt, outcome }));
}

async function recordOutcome(
  tx: Tx,
  r: { document: WorkflowDocument; messageId: string; nodeId: string; attempt: number; startedAt: Date; outcome: ScriptOutcome },
): Promise<NodeJobData[]> {
  const current = await tx.message.findUniqueOrThrow({ where: { id: r.messageId } });
  // Serialises completions within a run, so exactly one of them sees the run finish.
  await tx.$queryRaw`SELECT id FROM "Run" WHERE id = ${current.runId} FOR UPDATE`;
  const message = await tx.message.findUniqueOrThrow({ where: { id: r.messageId }, include: { run: true } });
  if (SETTLED.includes(message.status)) return []; // recorded by another delivery, or cancelled
  const { run } = message;
  const finishedAt = new Date();
  const at = finishedAt.toISOString();
  const base = { runId: run.id, tenantId: run.tenantId, at };
  const { outcome } = r;

  await tx.nodeResult.create({
    data: {
      messageId: message.id,
      runId: run.id,
      tenantId: run.tenantId,
      nodeId: r.nodeId,
      status: outcome.ok ? 'succeeded' : 'failed',
      output: outcome.ok ? json(outcome.output) : undefined,
      error: outcome.ok ? undefined : json(outcome.error),
      logs: json(outcome.logs),
      attempts: r.attempt,
      startedAt: r.startedAt,
      finishedAt,
    },
  });

  if (!outcome.ok) {
    await tx.message.update({ where: { id: message.id }, data: { status: 'failed' } });
    await tx.message.updateMany({ where: { runId: run.id, status: { in: ['pending', 'running'] } }, data: { status: 'cancelled' } });
    await tx.run.update({ where: { id: run.id }, data: { status: 'failed', finishedAt, error: json({ ...outcome.error, nodeId: r.nodeId }) } });
    await emitEvent(tx, { type: 'node.status', payload: { ...base, nodeId: r.nodeId, status: 'failed', attempt: r.attempt, errorClass: outcome.error.class } });
    await emitEvent(tx, { type: 'run.finished', payload: { ...base, status: 'failed', errorClass: outcome.error.class, errorNodeId: r.nodeId } });
    return [];
  }

  await tx.message.update({ where: { id: message.id }, data: { status: 'done' } });
  const next = successors(r.document, r.nodeId).map((nodeId) => ({ id: newId('msg'), nodeId }));
  if (next.length > 0) {
    await tx.message.createMany({
      data: next.map((m) => ({ id: m.id, runId: run.id, tenantId: run.tenantId, nodeId: m.nodeId, payload: json(outcome.output), status: 'pending', parentId: message.id })),
    });
  }
  await emitEvent(tx, { type: 'node.status', payload: { ...base, nodeId: r.nodeId, status: 'succeeded', attempt: r.attempt } });

  const inFlight = await tx.message.count({ where: { runId: run.id, status: { in: ['pending', 'running'] } } });
  if (inFlight === 0) {
    const output = await runOutput(tx, r.document, run.id);
    await tx.run.update({ where: { id: run.id }, data: { status: 'succeeded', finishedAt, output: json(output) } });
    await emitEvent(tx, { type: 'run.finished', payload: { ...base, status: 'succeeded', outputBytes: Buffer.byteLength(JSON.stringify(output ?? null)) } });
  }
  return next.map((m) => ({ messageId: m.id, runId: run.id, tenantId: run.tenantId }));
}

/**
 * A run's output is what its sink nodes produced: the value itself when one sink
 * produced one result, otherwise an object keyed by sink node id.
 */
async function runOutput(tx: Tx, document: WorkflowDocument, runId: string): Promise<unknown> {
  const sinks = sinkNodes(document);
  const results = await tx.nodeResult.findMany({
    where: { runId, status: 'succeeded', nodeId: { in: sinks } },
    orderBy: { finishedAt: 'asc' },
    select: { nodeId: true, output: true },
  });
  if (results.length === 1) return results[0]!.output;
  const byNode: Record<string, unknown> = {};
  for (const r of results) {
    const prev = byNode[r.nodeId];
    byNode[r.nodeId] = prev === undefined ? r.output : Array.isArray(prev) ? [...prev, r.output] : [prev, r.output];
  }
  return byNode;
}
