import { entryNodes, type WorkflowDocument } from '@orvanta/spec';
import { newId, type CommandBody } from '@orvanta/protocol';
import type { Prisma, Tx } from '../db.ts';
import { emitEvent } from './outbox.ts';
import type { NodeJobData } from './queue.ts';

type RunStart = Extract<CommandBody, { type: 'run.start' }>;
type VersionRef = RunStart['payload']['workflowVersion'];

/** Stores a workflow version as the data plane runs it (versions are immutable). */
export async function storeVersion(tx: Tx, tenantId: string, version: VersionRef): Promise<void> {
  await tx.workflowVersion.upsert({
    where: { id: version.id },
    create: { id: version.id, tenantId, workflowId: version.workflowId, version: version.version, document: version.document as Prisma.InputJsonValue },
    update: {},
  });
}

/** Creates a run of a stored version with its entry messages; returns the jobs to enqueue after commit. */
export async function createRun(
  tx: Tx,
  run: { runId: string; tenantId: string; workflowId: string; workflowVersionId: string; input: unknown; traceparent?: string | null; environment?: string | null },
): Promise<NodeJobData[]> {
  const version = await tx.workflowVersion.findUniqueOrThrow({ where: { id: run.workflowVersionId } });
  const document = version.document as unknown as WorkflowDocument;
  const input = (run.input ?? null) as Prisma.InputJsonValue;
  await tx.run.create({
    data: { id: run.runId, tenantId: run.tenantId, workflowId: run.workflowId, workflowVersionId: run.workflowVersionId, status: 'queued', input, traceparent: run.traceparent ?? null, environment: run.environment ?? null },
  });
  const jobs = entryNodes(document).map((nodeId) => ({ messageId: newId('msg'), runId: run.runId, tenantId: run.tenantId, nodeId }));
  await tx.message.createMany({
    data: jobs.map((j) => ({ id: j.messageId, runId: run.runId, tenantId: run.tenantId, nodeId: j.nodeId, payload: input, status: 'pending' })),
  });
  await emitEvent(tx, {
    type: 'run.accepted',
    payload: { runId: run.runId, tenantId: run.tenantId, at: new Date().toISOString(), inputBytes: Buffer.byteLength(JSON.stringify(input)) },
  });
  return jobs.map(({ messageId, runId, tenantId }) => ({ messageId, runId, tenantId }));
}

/**
 * Stores a run the control plane started, and its entry messages. Idempotent by run id: a
 * redelivered command changes nothing. Returns the jobs to enqueue once committed.
 */
export async function acceptRun(tx: Tx, command: RunStart): Promise<NodeJobData[]> {
  const { runId, tenantId, workflowVersion, traceparent, environment } = command.payload;
  if (await tx.run.findUnique({ where: { id: runId }, select: { id: true } })) return [];
  await storeVersion(tx, tenantId, workflowVersion);
  return createRun(tx, { runId, tenantId, workflowId: workflowVersion.workflowId, workflowVersionId: workflowVersion.id, input: command.customerData.input, traceparent, environment });
}
