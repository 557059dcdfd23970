import { newId } from '@orvanta/protocol';
import type { Actor, CallContext } from '../auth/actor.ts';
import { authorize } from '../auth/authorize.ts';
import { recordAudit } from '../audit.ts';
import type { Db, Tx } from '../db/client.ts';
import type { Tenant } from '../db/generated/client.ts';
import type { RegionCatalogue } from '../regions/catalogue.ts';
import { assertPlacement, namedDataPlane } from '../regions/placement.ts';
import { enqueueCommand, wake } from '../dataplanes/outbox.ts';
import { AppError, notFound } from '../errors.ts';
import { syncTriggers, triggerTarget } from '../workflows/webhooks.ts';

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

/**
 * Deploys a version to an environment, pinned to a data plane: the one named, else the one
 * the environment's previous deployment used, else the tenant's home. Pinning to another data
 * plane than before moves the workflow there (audited as such). The data plane must be one
 * the tenant may use and its region policy allows.
 */
export async function deployWorkflow(
  db: Db,
  call: CallContext,
  deps: { regions: RegionCatalogue; authSecret: string },
  workflowId: string,
  input: { environment: string; version?: number; dataPlaneId?: string },
) {
  const { actor } = call;
  const { regions } = deps;
  const { deployment, woken } = await db.$transaction(async (tx) => {
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
    const tenant = await tx.tenant.findUniqueOrThrow({ where: { id: actor.tenantId } });
    // The default environment's deployment carries the workflow's triggers: note where they are now.
    const triggersBefore = env.name === tenant.defaultEnvironment ? await triggerTarget(tx, workflow!) : null;
    const pinnedId = input.dataPlaneId ?? previous?.dataPlaneId ?? tenant.homeDataPlaneId;
    if (!pinnedId) throw new AppError('unprocessable', 'No data plane', 'This tenant has no data plane to deploy to. Choose a home region (PUT /api/v1/region-policy) or name a dataPlaneId.');
    const dataPlane = await namedDataPlane(tx, actor.tenantId, pinnedId);
    assertPlacement(regions, tenant, dataPlane, `Deploying to "${env.name}"`);
    const deployment = await tx.deployment.create({
      data: { id: newId('dep'), tenantId: actor.tenantId, workflowId, environmentId: env.id, workflowVersionId: target.id, version, dataPlaneId: dataPlane.id, createdBy: `${actor.type}:${actor.id}` },
      include: { environment: true },
    });
    const movedFrom = previous ? (previous.dataPlaneId ?? tenant.homeDataPlaneId) : null;
    // The data plane learns what is live where (subworkflow nodes resolve their child there); one it left forgets it.
    const ref = { id: target.id, workflowId, version, document: target.document as Record<string, unknown> };
    await enqueueCommand(tx, dataPlane.id, actor.tenantId, { type: 'deployment.put', payload: { tenantId: actor.tenantId, workflowId, environment: env.name, workflowVersion: ref } });
    const deploymentWoken = [dataPlane.id];
    if (movedFrom && movedFrom !== dataPlane.id) {
      await enqueueCommand(tx, movedFrom, actor.tenantId, { type: 'deployment.put', payload: { tenantId: actor.tenantId, workflowId, environment: env.name, workflowVersion: null } });
      deploymentWoken.push(movedFrom);
    }
    if (previous && movedFrom !== dataPlane.id) {
      await recordAudit(tx, {
        tenantId: actor.tenantId,
        actor,
        action: 'workflow.moved',
        target: { type: 'workflow', id: workflowId },
        before: { environment: env.name, dataPlaneId: movedFrom },
        after: { environment: env.name, dataPlaneId: dataPlane.id, region: dataPlane.region },
        meta: call.meta,
      });
    }
    await recordAudit(tx, {
      tenantId: actor.tenantId,
      actor,
      action: previous && previous.version > version ? 'workflow.rolled_back' : 'workflow.deployed',
      target: { type: 'workflow', id: workflowId },
      before: previous ? { environment: env.name, version: previous.version, dataPlaneId: previous.dataPlaneId } : null,
      after: { environment: env.name, version, deploymentId: deployment.id, dataPlaneId: dataPlane.id },
      meta: call.meta,
    });
    const woken = [...deploymentWoken, ...(env.name === tenant.defaultEnvironment ? await syncTriggers(tx, deps.authSecret, workflow!, triggersBefore?.dataPlane) : [])];
    return { deployment, woken };
  });
  for (const id of new Set(woken)) wake(id);
  return deployment;
}

export async function listDeployments(db: Db, call: CallContext, workflowId: string) {
  const workflow = await db.workflow.findFirst({ where: { id: workflowId, tenantId: call.actor.tenantId } });
  authorize(call.actor, 'workflows.read', workflow, notFound('Workflow', workflowId).detail);
  return db.deployment.findMany({ where: { workflowId }, include: { environment: true }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: 200 });
}

/**
 * The version a run uses and where it runs: the live deployment of the environment named (or
 * the key's bound environment, else the tenant's default environment), on the data plane it
 * is pinned to. Without a name and with nothing deployed in the default environment, the
 * latest version runs on the tenant's home data plane. A key bound to an environment runs
 * there by default and nowhere else. `tenant` is the caller's row, as read for this run.
 */
export async function versionForRun(
  tx: Tx,
  actor: Actor,
  workflowId: string,
  latestVersion: number,
  environment: string | undefined,
  tenant: Pick<Tenant, 'defaultEnvironment' | 'homeDataPlaneId'>,
): Promise<{ environment: string | null; version: number; dataPlaneId: string | null }> {
  const named = environment ?? (actor.type === 'api_key' ? (actor.environment ?? undefined) : undefined);
  const envName = named ?? tenant.defaultEnvironment;
  assertKeyEnvironment(actor, envName);
  const env = named ? await loadEnvironment(tx, actor.tenantId, envName) : await tx.environment.findUnique({ where: { tenantId_name: { tenantId: actor.tenantId, name: envName } } });
  const live = env ? await tx.deployment.findFirst({ where: { workflowId, environmentId: env.id }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }) : null;
  if (!live) {
    if (!named) return { environment: null, version: latestVersion, dataPlaneId: tenant.homeDataPlaneId };
    throw new AppError('unprocessable', 'Not deployed', `This workflow has no deployment in "${envName}". Deploy a version first: POST /api/v1/workflows/${workflowId}/deployments.`);
  }
  return { environment: envName, version: live.version, dataPlaneId: live.dataPlaneId ?? tenant.homeDataPlaneId };
}
