import { nulPath, nulProblem, runDataPath, TERMINAL_RUN_STATUSES, type RunStatus } from '@orvanta/protocol';
import type { CallContext } from '../auth/actor.ts';
import { actorRef } from '../auth/actor.ts';
import { authorize } from '../auth/authorize.ts';
import { recordAudit } from '../audit.ts';
import { versionForRun } from '../deployments/service.ts';
import type { Db } from '../db/client.ts';
import type { DataPlane, Run, RunNode, WorkflowVersion } from '../db/generated/client.ts';
import { enqueueCommand, wake } from '../dataplanes/outbox.ts';
import type { TokenSigner } from '../dataplanes/signing.ts';
import { AppError, notFound } from '../errors.ts';
import type { RegionCatalogue } from '../regions/catalogue.ts';
import { assertPlacement } from '../regions/placement.ts';
import { newId } from '@orvanta/protocol';
import { afterCursor, decodeCursor, page } from '../lib/pagination.ts';
import { claimIdempotencyKey, idempotentRequest } from './idempotency.ts';

/** `parked`: how many of its messages wait in the Trash (absent where not looked up). */
export type RunWithNodes = Run & { nodes: RunNode[]; workflowVersion: WorkflowVersion; dataPlane: DataPlane; parked?: number };

/** Adds each run's count of Trash items still parked or approved but not yet applied on its data plane, in one query. */
async function withParked<T extends Run>(db: Db, runs: T[]): Promise<(T & { parked: number })[]> {
  const counts = runs.length
    ? await db.trashItem.groupBy({ by: ['runId'], where: { tenantId: runs[0]!.tenantId, runId: { in: runs.map((r) => r.id) }, OR: [{ status: 'parked' }, { status: 'approved', appliedAt: null }] }, _count: { _all: true } })
    : [];
  const byRun = new Map(counts.map((c) => [c.runId, c._count._all]));
  return runs.map((r) => ({ ...r, parked: byRun.get(r.id) ?? 0 }));
}

const include = { nodes: true, workflowVersion: true, dataPlane: true } as const;

/** `replayed`: an earlier request with the same idempotency key started this run; nothing new was started. */
export type StartedRun = RunWithNodes & { replayed: boolean };

export async function startRun(
  db: Db,
  call: CallContext,
  request: { workflowId: string; input: unknown; trigger: 'api' | 'manual'; maxPayloadBytes: number; regions: RegionCatalogue; environment?: string; idempotencyKey?: string; hashSecret?: string },
): Promise<StartedRun> {
  const { actor } = call;
  const [workflow, tenant] = await Promise.all([
    db.workflow.findFirst({ where: { id: request.workflowId, tenantId: actor.tenantId } }),
    db.tenant.findUniqueOrThrow({ where: { id: actor.tenantId } }),
  ]);
  authorize(actor, 'runs.write', workflow, notFound('Workflow', request.workflowId).detail);

  const inputJson = JSON.stringify(request.input ?? null);
  const inputBytes = Buffer.byteLength(inputJson);
  if (inputBytes > request.maxPayloadBytes) {
    throw new AppError('payload_too_large', 'Input too large', `The run input is ${inputBytes} bytes; the limit is ${request.maxPayloadBytes}.`);
  }
  const nul = nulPath(request.input ?? null, inputJson);
  if (nul) throw new AppError('unprocessable', 'Input not storable', nulProblem('The run input', nul));
  // With an idempotency key, the same request (workflow, effective environment, input) within
  // 24 h answers with the first one's run; the key is claimed in the transaction below.
  const keyed =
    request.idempotencyKey === undefined
      ? null
      : idempotentRequest(actor.tenantId, request.idempotencyKey, request.hashSecret ?? '', {
          workflowId: workflow!.id,
          environment: request.environment ?? (actor.type === 'api_key' ? actor.environment : null),
          input: request.input,
        });

  const started = await db.$transaction(async (tx) => {
    const chosen = await versionForRun(tx, actor, workflow!.id, workflow!.latestVersion, request.environment, tenant);
    const id = newId('run');
    // A replay needs what a new run needs (above), except a data plane: it starts nothing.
    const earlier = keyed && (await claimIdempotencyKey(tx, keyed, id));
    if (earlier) return { replayOf: earlier };
    // A run executes where its deployment is pinned (or on the home data plane), if the policy allows it there now.
    const dataPlane = chosen.dataPlaneId ? await tx.dataPlane.findUnique({ where: { id: chosen.dataPlaneId } }) : null;
    if (!dataPlane || dataPlane.status === 'revoked') {
      throw new AppError('unprocessable', 'No data plane', chosen.environment ? `The "${chosen.environment}" deployment is pinned to a data plane that is gone or revoked. Deploy it to another one.` : 'This tenant has no active data plane to run workflows on. Choose a home region (PUT /api/v1/region-policy) or ask an admin to enroll one.');
    }
    assertPlacement(request.regions, tenant, dataPlane, chosen.environment ? `A run of the "${chosen.environment}" deployment` : 'This run');
    const version = await tx.workflowVersion.findUniqueOrThrow({
      where: { workflowId_version: { workflowId: workflow!.id, version: chosen.version } },
    });
    const nodeIds = (version.document as { nodes: { id: string }[] }).nodes.map((n) => n.id);
    await tx.run.create({
      data: {
        id,
        tenantId: actor.tenantId,
        workflowId: workflow!.id,
        workflowVersionId: version.id,
        dataPlaneId: dataPlane.id,
        region: dataPlane.region,
        status: 'queued',
        trigger: request.trigger,
        environment: chosen.environment,
        inputBytes,
        createdBy: actorRef(actor),
        nodes: { create: nodeIds.map((nodeId) => ({ nodeId, status: 'pending' })) },
      },
    });
    await enqueueCommand(tx, dataPlane.id, actor.tenantId, {
      type: 'run.start',
      payload: {
        runId: id,
        tenantId: actor.tenantId,
        trigger: request.trigger,
        workflowVersion: { id: version.id, workflowId: version.workflowId, version: version.version, document: version.document as Record<string, unknown> },
        ...(chosen.environment ? { environment: chosen.environment } : {}),
      },
      customerData: { input: request.input ?? null },
    });
    const run = await tx.run.findUniqueOrThrow({ where: { id }, include });
    // Last: it holds the tenant's audit chain until the commit, so every other write of the tenant waits.
    await recordAudit(tx, {
      tenantId: actor.tenantId,
      actor,
      action: 'run.started',
      target: { type: 'run', id },
      after: { workflowId: workflow!.id, version: version.version, dataPlaneId: dataPlane.id, trigger: request.trigger },
      meta: call.meta,
    });
    return { run };
  });
  if (started.replayOf !== undefined) {
    // Read without runs.read: the caller may start this run, and its first answer showed it.
    const run = await db.run.findFirst({ where: { id: started.replayOf, tenantId: actor.tenantId }, include });
    if (!run) throw notFound('Run', started.replayOf);
    return { ...run, replayed: true };
  }
  wake(started.run.dataPlaneId);
  return { ...started.run, replayed: false };
}

export async function getRun(db: Db, call: CallContext, runId: string): Promise<RunWithNodes> {
  const run = await db.run.findFirst({ where: { id: runId, tenantId: call.actor.tenantId }, include });
  authorize(call.actor, 'runs.read', run, notFound('Run', runId).detail);
  return (await withParked(db, [run!]))[0]!;
}

export async function findRuns(
  db: Db,
  call: CallContext,
  query: { workflowId?: string; status?: RunStatus; cursor?: string; limit: number },
) {
  authorize(call.actor, 'runs.read');
  const rows = await db.run.findMany({
    where: {
      tenantId: call.actor.tenantId,
      ...(query.workflowId ? { workflowId: query.workflowId } : {}),
      ...(query.status ? { status: query.status } : {}),
      ...afterCursor(decodeCursor(query.cursor)),
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: query.limit + 1,
    include,
  });
  const { items, nextCursor } = page(rows, query.limit);
  return { items: await withParked(db, items), nextCursor };
}

export async function cancelRun(db: Db, call: CallContext, runId: string): Promise<RunWithNodes> {
  const run = await db.$transaction(async (tx) => {
    const run = await tx.run.findFirst({ where: { id: runId, tenantId: call.actor.tenantId } });
    authorize(call.actor, 'runs.write', run, notFound('Run', runId).detail);
    if ((TERMINAL_RUN_STATUSES as readonly string[]).includes(run!.status)) {
      throw new AppError('conflict', 'Run already finished', `Run ${runId} has already ${run!.status}; there is nothing to cancel.`);
    }
    if (!run!.cancelRequestedAt) {
      await tx.run.update({ where: { id: runId }, data: { cancelRequestedAt: new Date() } });
      await enqueueCommand(tx, run!.dataPlaneId, run!.tenantId, { type: 'run.cancel', payload: { runId, tenantId: run!.tenantId } });
      await recordAudit(tx, {
        tenantId: run!.tenantId,
        actor: call.actor,
        action: 'run.cancel_requested',
        target: { type: 'run', id: runId },
        before: { status: run!.status },
        meta: call.meta,
      });
    }
    return tx.run.findUniqueOrThrow({ where: { id: runId }, include });
  });
  wake(run.dataPlaneId);
  return run;
}

/**
 * Cancels every unfinished run of a workflow (a bad deploy, a runaway schedule): each gets
 * a `run.cancel` command, so no further node of any of them starts. One audit event names
 * the runs.
 */
export async function cancelWorkflowRuns(db: Db, call: CallContext, workflowId: string): Promise<{ cancelled: string[] }> {
  const { ids, dataPlanes } = await db.$transaction(async (tx) => {
    const workflow = await tx.workflow.findFirst({ where: { id: workflowId, tenantId: call.actor.tenantId } });
    authorize(call.actor, 'runs.write', workflow, notFound('Workflow', workflowId).detail);
    // Locked in id order, as an event batch locks its runs (dataplanes/service.ts applyEvents):
    // two transactions taking the same runs in different orders deadlock.
    const runs = await tx.$queryRaw<{ id: string; dataPlaneId: string }[]>`
      SELECT "id", "dataPlaneId" FROM "Run"
      WHERE "workflowId" = ${workflowId} AND "tenantId" = ${call.actor.tenantId} AND "status" <> ALL(${[...TERMINAL_RUN_STATUSES]}) AND "cancelRequestedAt" IS NULL
      ORDER BY "id" FOR UPDATE`;
    const now = new Date();
    await tx.run.updateMany({ where: { id: { in: runs.map((r) => r.id) } }, data: { cancelRequestedAt: now } });
    for (const run of runs) await enqueueCommand(tx, run.dataPlaneId, call.actor.tenantId, { type: 'run.cancel', payload: { runId: run.id, tenantId: call.actor.tenantId } });
    await recordAudit(tx, { tenantId: call.actor.tenantId, actor: call.actor, action: 'workflow.runs_cancel_requested', target: { type: 'workflow', id: workflowId }, after: { runs: runs.map((r) => r.id) }, meta: call.meta });
    return { ids: runs.map((r) => r.id), dataPlanes: [...new Set(runs.map((r) => r.dataPlaneId))] };
  });
  for (const id of dataPlanes) wake(id);
  return { cancelled: ids };
}

/** A short-lived signed URL on the run's data plane that serves its payloads and logs. */
export async function runDataLink(signer: TokenSigner, call: CallContext, run: RunWithNodes): Promise<{ href: string; expiresAt: Date } | null> {
  authorize(call.actor, 'runs.read', run);
  if (!run.dataPlane.publicUrl) return null;
  const { token, expiresAt } = await signer.sign({
    aud: run.dataPlaneId,
    sub: actorRef(call.actor),
    tenant_id: run.tenantId,
    scope: 'runs.read',
    run_id: run.id,
  });
  const url = new URL(runDataPath(run.id), run.dataPlane.publicUrl);
  url.searchParams.set('token', token);
  return { href: url.toString(), expiresAt };
}
