import { entryNodes, type WorkflowDocument } from '@orvanta/spec';
import { newId, type CommandBody } from '@orvanta/protocol';
import type { Prisma, Tx } from '../db.ts';
import { emitEvent } from './outbox.ts';
import type { NodeJobData } from './queue.ts';

type RunStart = Extract<CommandBody, { type: 'run.start' }>;

/**
 * Stores a run and its entry messages. Idempotent by run id: a redelivered command
 * changes nothing. Returns the jobs to enqueue once the transaction has committed.
 */
export async function acceptRun(tx: Tx, command: RunStart): Promise<NodeJobData[]> {
  const { runId, tenantId, workflowVersion, traceparent } = command.payload;
  if (await tx.run.findUnique({ where: { id: runId }, select: { id: true } })) return [];

  const document = workflowVersion.document as unknown as WorkflowDocument;
  await tx.workflowVersion.upsert({
    where: { id: workflowVersion.id },
    create: { id: workflowVersion.id, tenantId, workflowId: workflowVersion.workflowId, version: workflowVersion.version, document: workflowVersion.document as Prisma.InputJsonValue },
    update: {},
  });
  const input = (command.customerData.input ?? null) as Prisma.InputJsonValue;
  await tx.run.create({
    data: { id: runId, tenantId, workflowId: workflowVersion.workflowId, workflowVersionId: workflowVersion.id, status: 'queued', input, traceparent: traceparent ?? null },
  });
  const jobs = entryNodes(document).map((nodeId) => ({ messageId: newId('msg'), runId, tenantId, nodeId }));
  await tx.message.createMany({
    data: jobs.map((j) => ({ id: j.messageId, runId, tenantId, nodeId: j.nodeId, payload: input, status: 'pending' })),
  });
  await emitEvent(tx, {
    type: 'run.accepted',
    payload: { runId, tenantId, at: new Date().toISOString(), inputBytes: Buffer.byteLength(JSON.stringify(input)) },
  });
  return jobs.map(({ messageId, runId, tenantId }) => ({ messageId, runId, tenantId }));
}
