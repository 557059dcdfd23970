import type { CommandEnvelope } from '@orvanta/protocol';
import { inTx, onPool, type Db, type Sql, type Tx } from '../db.ts';
import { cancelRun } from '../engine/cancel.ts';
import type { NodeJobData } from '../engine/queue.ts';
import type { ScheduleTriggerSpec } from '@orvanta/spec';
import { syncSchedule } from '../engine/scheduler.ts';
import { acceptRuns, storeVersion, type RunStartCommand } from '../engine/start-run.ts';
import { resolveTrashItem } from '../engine/trash.ts';
import type { SecretStore } from '../secrets.ts';

/** Applies a command once: a redelivered id is recognised and skipped. */
export async function applyCommand(db: Db, command: CommandEnvelope, secrets: SecretStore): Promise<NodeJobData[]> {
  return db.$transaction((tx) => applyCommandIn(tx, command, secrets));
}

/**
 * Applies a batch in order. Runs to start — most commands — go in one statement per stretch
 * of consecutive `run.start`s (start-run.ts); other commands go in one transaction per stretch
 * (one commit instead of one per command, which is what limits how fast runs arrive). If a
 * stretch fails, each of its commands is applied on its own, so one that cannot be applied
 * does not hold back the others.
 */
export async function applyCommands(db: Db, sql: Sql, commands: CommandEnvelope[], secrets: SecretStore): Promise<NodeJobData[]> {
  const jobs: NodeJobData[] = [];
  for (const stretch of stretches(commands)) {
    const starts = stretch.every((c) => c.type === 'run.start');
    try {
      jobs.push(
        ...(starts
          ? await acceptRuns(onPool(sql), stretch as RunStartCommand[])
          : await db.$transaction(async (tx) => {
              const applied: NodeJobData[] = [];
              for (const command of stretch) applied.push(...(await applyCommandIn(tx, command, secrets)));
              return applied;
            })),
      );
    } catch {
      for (const command of stretch) jobs.push(...(await applyCommand(db, command, secrets)));
    }
  }
  return jobs;
}

/** Consecutive commands grouped: each stretch is all `run.start`, or none of it is. */
function stretches(commands: CommandEnvelope[]): CommandEnvelope[][] {
  const out: CommandEnvelope[][] = [];
  for (const command of commands) {
    const last = out.at(-1);
    if (last && (last[0]!.type === 'run.start') === (command.type === 'run.start')) last.push(command);
    else out.push([command]);
  }
  return out;
}

async function applyCommandIn(tx: Tx, command: CommandEnvelope, secrets: SecretStore): Promise<NodeJobData[]> {
  if (await tx.appliedCommand.findUnique({ where: { id: command.id } })) return [];
  let jobs: NodeJobData[] = [];
  switch (command.type) {
    case 'run.start':
      // Marks the command applied itself.
      return acceptRuns(inTx(tx), [command]);
    case 'run.cancel':
      await cancelRun(tx, command.payload.runId, command.payload.tenantId);
      break;
    case 'secret.put':
      await secrets.put(tx, command.payload.tenantId, command.payload.name, command.payload.version, command.customerData.value);
      break;
    case 'triggers.register': {
      const { tenantId, workflowId, tokenHash, workflowVersion, deployed } = command.payload;
      await storeVersion(tx, tenantId, workflowVersion);
      // A deployment's version is applied as is (a rollback is older). Otherwise keep the
      // newest version, should saves arrive out of order.
      const current = await tx.webhook.findUnique({ where: { tokenHash } });
      const currentVersion = current && !deployed ? await tx.workflowVersion.findUnique({ where: { id: current.workflowVersionId } }) : null;
      if (deployed || !currentVersion || currentVersion.version <= workflowVersion.version) {
        await tx.webhook.upsert({ where: { tokenHash }, create: { tokenHash, tenantId, workflowId, workflowVersionId: workflowVersion.id }, update: { workflowVersionId: workflowVersion.id } });
        const schedule = (workflowVersion.document as { triggers?: { schedule?: ScheduleTriggerSpec } }).triggers?.schedule;
        await syncSchedule(tx, { tenantId, workflowId, workflowVersionId: workflowVersion.id, schedule });
      }
      break;
    }
    case 'deployment.put': {
      const { tenantId, workflowId, environment, workflowVersion } = command.payload;
      const key = { tenantId_workflowId_environment: { tenantId, workflowId, environment } };
      if (!workflowVersion) {
        await tx.deployment.deleteMany({ where: { tenantId, workflowId, environment } });
        break;
      }
      await storeVersion(tx, tenantId, workflowVersion);
      await tx.deployment.upsert({ where: key, create: { tenantId, workflowId, environment, workflowVersionId: workflowVersion.id }, update: { workflowVersionId: workflowVersion.id } });
      break;
    }
    case 'triggers.unregister': {
      const { tenantId, workflowId } = command.payload;
      await tx.webhook.deleteMany({ where: { tenantId, workflowId } });
      await tx.schedule.deleteMany({ where: { tenantId, workflowId } });
      break;
    }
    case 'application.put': {
      const { tenantId, name, ...limits } = command.payload;
      await tx.applicationLimit.upsert({ where: { tenantId_name: { tenantId, name } }, create: { tenantId, name, ...limits }, update: limits });
      break;
    }
    case 'trash.resolve': {
      const { tenantId, trashItemId, decision } = command.payload;
      const edited = command.customerData ? { payload: { value: command.customerData.payload } } : {};
      jobs = await resolveTrashItem(tx, tenantId, trashItemId, decision === 'approve' ? { decision, ...edited } : { decision });
      break;
    }
    case 'secret.delete':
      await secrets.delete(tx, command.payload.tenantId, command.payload.name, command.payload.version);
      break;
  }
  await tx.appliedCommand.create({ data: { id: command.id, type: command.type } });
  return jobs;
}
