import type { WorkflowDocument } from '@orvanta/spec';
import type { CallContext } from '../auth/actor.ts';
import { authorize } from '../auth/authorize.ts';
import { recordAudit } from '../audit.ts';
import { wake } from '../dataplanes/outbox.ts';
import { syncTriggers } from './webhooks.ts';
import type { Db } from '../db/client.ts';
import type { Prisma } from '../db/client.ts';
import type { Workflow, WorkflowVersion } from '../db/generated/client.ts';
import { AppError, notFound } from '../errors.ts';
import { newId } from '@orvanta/protocol';
import { afterCursor, decodeCursor, page } from '../lib/pagination.ts';

export type WorkflowWithVersion = Workflow & { current: WorkflowVersion };

const nameTaken = (name: string) =>
  new AppError('conflict', 'Workflow name taken', `A workflow named ${JSON.stringify(name)} already exists. Save a new version of it with PUT /api/v1/workflows/{id}, or choose another name.`);

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && (err as { code: unknown }).code === 'P2002';
}

export async function createWorkflow(db: Db, call: CallContext, document: WorkflowDocument, authSecret: string): Promise<WorkflowWithVersion> {
  authorize(call.actor, 'workflows.write');
  const tenantId = call.actor.tenantId;
  try {
    const { woken, ...saved } = await db.$transaction(async (tx) => {
      const id = newId('wf');
      const workflow = await tx.workflow.create({ data: { id, tenantId, name: document.name, latestVersion: 1 } });
      const current = await tx.workflowVersion.create({
        data: { id: newId('wfv'), workflowId: id, tenantId, version: 1, document: document as Prisma.InputJsonValue, createdBy: `${call.actor.type}:${call.actor.id}` },
      });
      await recordAudit(tx, {
        tenantId,
        actor: call.actor,
        action: 'workflow.created',
        target: { type: 'workflow', id },
        after: { name: document.name, version: 1 },
        meta: call.meta,
      });
      const woken = await syncTriggers(tx, authSecret, workflow);
      return { ...workflow, current, woken };
    });
    for (const id of woken) wake(id);
    return saved;
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(document.name);
    throw err;
  }
}

/** Saves a new immutable version of an existing workflow. */
export async function saveWorkflowVersion(db: Db, call: CallContext, workflowId: string, document: WorkflowDocument, authSecret: string): Promise<WorkflowWithVersion> {
  try {
    const { woken, ...saved } = await db.$transaction(async (tx) => {
      const existing = await tx.workflow.findFirst({ where: { id: workflowId, tenantId: call.actor.tenantId } });
      authorize(call.actor, 'workflows.write', existing, notFound('Workflow', workflowId).detail);
      // Row lock so two concurrent saves get consecutive version numbers.
      await tx.$queryRaw`SELECT 1 FROM "Workflow" WHERE id = ${workflowId} FOR UPDATE`;
      const locked = await tx.workflow.findUniqueOrThrow({ where: { id: workflowId } });
      const version = locked.latestVersion + 1;
      const workflow = await tx.workflow.update({ where: { id: workflowId }, data: { latestVersion: version, name: document.name } });
      const current = await tx.workflowVersion.create({
        data: { id: newId('wfv'), workflowId, tenantId: locked.tenantId, version, document: document as Prisma.InputJsonValue, createdBy: `${call.actor.type}:${call.actor.id}` },
      });
      await recordAudit(tx, {
        tenantId: locked.tenantId,
        actor: call.actor,
        action: 'workflow.version_saved',
        target: { type: 'workflow', id: workflowId },
        before: { name: locked.name, version: locked.latestVersion },
        after: { name: document.name, version },
        meta: call.meta,
      });
      const woken = await syncTriggers(tx, authSecret, workflow);
      return { ...workflow, current, woken };
    });
    for (const id of woken) wake(id);
    return saved;
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(document.name);
    throw err;
  }
}

export async function getWorkflow(db: Db, call: CallContext, workflowId: string, version?: number): Promise<WorkflowWithVersion> {
  const workflow = await db.workflow.findFirst({ where: { id: workflowId, tenantId: call.actor.tenantId } });
  authorize(call.actor, 'workflows.read', workflow, notFound('Workflow', workflowId).detail);
  const current = await db.workflowVersion.findUnique({
    where: { workflowId_version: { workflowId, version: version ?? workflow!.latestVersion } },
  });
  if (!current) throw notFound('Workflow version', `${workflowId}@${version}`);
  return { ...workflow!, current };
}

export async function findWorkflows(db: Db, call: CallContext, query: { cursor?: string; limit: number }) {
  authorize(call.actor, 'workflows.read');
  const rows = await db.workflow.findMany({
    where: { tenantId: call.actor.tenantId, ...afterCursor(decodeCursor(query.cursor)) },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: query.limit + 1,
  });
  return page(rows, query.limit);
}
