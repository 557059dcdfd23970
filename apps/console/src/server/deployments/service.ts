import { newId } from '@orvanta/protocol';
import type { Actor, CallContext } from '../auth/actor.ts';
import { authorize } from '../auth/authorize.ts';
import { recordAudit } from '../audit.ts';
import type { Db, Tx } from '../db/client.ts';
import { AppError, notFound } from '../errors.ts';

/**
 * Environments and deployments. Every tenant starts with `development` and a protected
 * `production`; a protected environment takes deploys only from roles holding
 * `deployments.protected` (owners and admins). A deploy makes one workflow version live
 * in an environment; runs started there take the live version, runs in flight keep the
 * version they started with, and redeploying an older version is the rollback.
 */

export const DEFAULT_ENVIRONMENTS = [
  { name: 'development', protected: false },
  { name: 'production', protected: true },
] as const;

export const ENVIRONMENT_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

export async function ensureEnvironments(tx: Db | Tx, tenantId: string): Promise<void> {
  if ((await tx.environment.count({ where: { tenantId } })) > 0) return;
  await tx.environment.createMany({ data: DEFAULT_ENVIRONMENTS.map((e) => ({ id: newId('env'), tenantId, ...e })), skipDuplicates: true });
}

export async function listEnvironments(db: Db, call: CallContext) {
  authorize(call.actor, 'workflows.read');
  await ensureEnvironments(db, call.actor.tenantId);
  return db.environment.findMany({ where: { tenantId: call.actor.tenantId }, orderBy: { createdAt: 'asc' } });
}

/** Creates the environment, or changes whether it is protected. */
export async function putEnvironment(db: Db, call: CallContext, name: string, input: { protected: boolean }) {
  authorize(call.actor, 'settings.write');
  if (!ENVIRONMENT_NAME.test(name)) {
    throw new AppError('validation_failed', 'Invalid environment name', 'Environment names are lowercase letters, digits and dashes, starting with a letter or digit (e.g. staging).', { errors: [{ path: 'name', message: 'invalid name' }] });
  }
  const tenantId = call.actor.tenantId;
  return db.$transaction(async (tx) => {
    await ensureEnvironments(tx, tenantId);
    const before = await tx.environment.findUnique({ where: { tenantId_name: { tenantId, name } } });
    const env = before
      ? await tx.environment.update({ where: { id: before.id }, data: { protected: input.protected } })
      : await tx.environment.create({ data: { id: newId('env'), tenantId, name, protected: input.protected } });
    await recordAudit(tx, {
      tenantId,
      actor: call.actor,
      action: before ? 'environment.updated' : 'environment.created',
      target: { type: 'environment', id: env.id },
      before: before ? { name, protected: before.protected } : null,
      after: { name, protected: env.protected },
      meta: call.meta,
    });
    return env;
  });
}

/** A key bound to an environment acts only there. */
function assertKeyEnvironment(actor: Actor, environment: string): void {
  if (actor.type === 'api_key' && actor.environment && actor.environment !== environment) {
    throw new AppError('forbidden', 'Wrong environment', `This API key is bound to the "${actor.environment}" environment and cannot act in "${environment}".`, { permission: 'deployments.write' });
  }
}

async function loadEnvironment(tx: Db | Tx, tenantId: string, name: string) {
  await ensureEnvironments(tx, tenantId);
  const env = await tx.environment.findUnique({ where: { tenantId_name: { tenantId, name } } });
  if (!env) {
    throw new AppError('validation_failed', 'Unknown environment', `There is no "${name}" environment. Create it with PUT /api/v1/environments/${name}, or use one of GET /api/v1/environments.`, { errors: [{ path: 'environment', message: 'unknown environment' }] });
  }
  return env;
}

export async function deployWorkflow(db: Db, call: CallContext, workflowId: string, input: { environment: string; version?: number }) {
  const { actor } = call;
  return db.$transaction(async (tx) => {
    const workflow = await tx.workflow.findFirst({ where: { id: workflowId, tenantId: actor.tenantId } });
    authorize(actor, 'deployments.write', workflow, notFound('Workflow', workflowId).detail);
    assertKeyEnvironment(actor, input.environment);
    const env = await loadEnvironment(tx, actor.tenantId, input.environment);
    if (env.protected) {
      try {
        authorize(actor, 'deployments.protected');
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        throw new AppError('forbidden', 'Protected environment', `"${env.name}" is protected: deploying to it needs the "deployments.protected" permission (owner or admin).`, { permission: 'deployments.protected' });
      }
    }
    const version = input.version ?? workflow!.latestVersion;
    const target = await tx.workflowVersion.findUnique({ where: { workflowId_version: { workflowId, version } } });
    if (!target) throw notFound('Workflow version', `${workflowId}@${version}`);
    // Serialise deploys of one workflow so "previous" in the audit trail is exact.
    await tx.$queryRaw`SELECT 1 FROM "Workflow" WHERE "id" = ${workflowId} FOR UPDATE`;
    const previous = await tx.deployment.findFirst({ where: { workflowId, environmentId: env.id }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
    const deployment = await tx.deployment.create({
      data: { id: newId('dep'), tenantId: actor.tenantId, workflowId, environmentId: env.id, workflowVersionId: target.id, version, createdBy: `${actor.type}:${actor.id}` },
      include: { environment: true },
    });
    await recordAudit(tx, {
      tenantId: actor.tenantId,
      actor,
      action: previous && previous.version > version ? 'workflow.rolled_back' : 'workflow.deployed',
      target: { type: 'workflow', id: workflowId },
      before: previous ? { environment: env.name, version: previous.version } : null,
      after: { environment: env.name, version, deploymentId: deployment.id },
      meta: call.meta,
    });
    return deployment;
  });
}

export async function listDeployments(db: Db, call: CallContext, workflowId: string) {
  const workflow = await db.workflow.findFirst({ where: { id: workflowId, tenantId: call.actor.tenantId } });
  authorize(call.actor, 'workflows.read', workflow, notFound('Workflow', workflowId).detail);
  return db.deployment.findMany({ where: { workflowId }, include: { environment: true }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: 200 });
}

/**
 * The version a run in `environment` uses: the live deployment there. A key bound to an
 * environment runs there by default and nowhere else.
 */
export async function versionForRun(tx: Tx, actor: Actor, workflowId: string, latestVersion: number, environment: string | undefined) {
  const envName = environment ?? (actor.type === 'api_key' ? (actor.environment ?? undefined) : undefined);
  if (!envName) return { environment: null, version: latestVersion };
  assertKeyEnvironment(actor, envName);
  const env = await loadEnvironment(tx, actor.tenantId, envName);
  const live = await tx.deployment.findFirst({ where: { workflowId, environmentId: env.id }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
  if (!live) {
    throw new AppError('unprocessable', 'Not deployed', `This workflow has no deployment in "${envName}". Deploy a version first: POST /api/v1/workflows/${workflowId}/deployments.`);
  }
  return { environment: envName, version: live.version };
}
