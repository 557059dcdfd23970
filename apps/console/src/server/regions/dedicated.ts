import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import os from 'node:os';
import { newId } from '@orvanta/protocol';
import { actorRef, type CallContext } from '../auth/actor.ts';
import { authorize } from '../auth/authorize.ts';
import { recordAudit } from '../audit.ts';
import type { ControlPlaneConfig } from '../config.ts';
import type { Db, Tx } from '../db/client.ts';
import type { DedicatedRegion } from '../db/generated/client.ts';
import { enqueueCommand, wake } from '../dataplanes/outbox.ts';
import { issueEnrollmentToken } from '../dataplanes/service.ts';
import { syncTriggers } from '../workflows/webhooks.ts';
import { AppError, notFound } from '../errors.ts';
import type { RegionCatalogue } from './catalogue.ts';
import { dataPlaneForRegion } from './placement.ts';
import { connectionOf } from './service.ts';
import { localDriverProblem } from './provisioners/local.ts';
import type { DriverName, Provisioners } from './provisioners/index.ts';
import type { DedicatedRegionSpec, DedicatedSize } from './provisioners/types.ts';

/**
 * Dedicated regions: one data plane for one tenant, provisioned on request.
 *
 *   requested → provisioning → enrolling → ready → (DELETE) draining → decommissioned
 *        └──────────┴────────────┴→ failed (reason; POST …/retry) · cancelled (POST …/cancel)
 *
 * The API functions below only record what a person asked for (in the row, with an audit
 * event in the same transaction). The worker (`createDedicatedRegionWorker`), running in
 * every control-plane process, does the work: it takes a row under a lease (leaseOwner,
 * leaseUntil — renewed while it works, so a crashed replica's row is picked up by another
 * once the lease runs out), runs the step its `state` names through the driver, and records
 * each step (steps JSON, audited per state change). Drivers are idempotent, so resuming a
 * step after a crash repeats it safely. The enrollment token is issued right before the
 * driver needs it, held in memory only, and never written to steps, errors or logs.
 */

export const DEDICATED_STATES = ['requested', 'provisioning', 'enrolling', 'ready', 'failed', 'cancelled', 'draining', 'decommissioned'] as const;
export type DedicatedState = (typeof DEDICATED_STATES)[number];
export const DEDICATED_SIZES = ['small', 'medium', 'large'] as const satisfies readonly DedicatedSize[];
export const PLANS = ['free', 'team', 'enterprise'] as const;
/** The plan that includes dedicated regions. */
export const DEDICATED_PLAN = 'enterprise';

export interface Step {
  step: string;
  at: string;
  detail?: string;
}

const SYSTEM = { type: 'system' as const, id: 'dedicated-regions' };
const ACTIVE: DedicatedState[] = ['requested', 'provisioning', 'enrolling', 'draining'];
const CANCELLABLE: DedicatedState[] = ['requested', 'provisioning', 'enrolling'];
const DECOMMISSIONABLE: DedicatedState[] = ['ready', 'failed', 'cancelled'];

/** Wakes this process's worker when a request changes a row, so it need not wait for its next tick. */
const changes = new EventEmitter();
changes.setMaxListeners(0);

/** Whether new dedicated regions can be provisioned here, and why not (shown by the console). */
export function provisionerStatus(config: ControlPlaneConfig): { driver: DriverName; available: boolean; detail: string | null } {
  const problem = config.DEDICATED_PROVISIONER === 'local' ? localDriverProblem({ databaseUrl: config.LOCAL_PROVISIONER_DATABASE_URL, redisUrl: config.LOCAL_PROVISIONER_REDIS_URL }) : undefined;
  return { driver: config.DEDICATED_PROVISIONER, available: !problem, detail: problem ?? null };
}

/** Hides secrets in a message: the enrollment token, and passwords in URLs. */
function redact(text: string, secrets: (string | undefined)[] = []): string {
  let out = text.replace(/(\/\/[^:/@\s]+:)[^@/\s]+@/g, '$1****@').replace(/orvdp_[A-Za-z0-9_-]+/g, '[redacted]');
  for (const s of secrets) if (s) out = out.split(s).join('[redacted]');
  return out.slice(0, 2000);
}

const stepJson = (step: string, detail?: string): Step => ({ step, at: new Date().toISOString(), ...(detail ? { detail: redact(detail) } : {}) });

/** Appends a step atomically (the API and the worker may both append to one row). */
async function appendStep(db: Db | Tx, id: string, step: string, detail?: string): Promise<void> {
  await db.$executeRaw`UPDATE "DedicatedRegion" SET "steps" = "steps" || ${JSON.stringify([stepJson(step, detail)])}::jsonb WHERE "id" = ${id}`;
}

// ---------------------------------------------------------------------------------------
// The API: what people ask for.

async function findOwn(db: Db | Tx, call: CallContext, id: string, permission: 'data_planes.read' | 'data_planes.write'): Promise<DedicatedRegion> {
  const row = await db.dedicatedRegion.findFirst({ where: { id, tenantId: call.actor.tenantId } });
  authorize(call.actor, permission, row, notFound('Dedicated region', id).detail);
  return row!;
}

function conflict(row: DedicatedRegion, what: string, hint: string): AppError {
  return new AppError('conflict', 'Not possible in this state', `Dedicated region ${row.id} is ${row.state}: it cannot be ${what} now. ${hint}`, { state: row.state });
}

export async function requestDedicatedRegion(db: Db, call: CallContext, deps: { regions: RegionCatalogue; config: ControlPlaneConfig }, input: { location: string; size: DedicatedSize }): Promise<DedicatedRegion> {
  const { actor } = call;
  authorize(actor, 'data_planes.write');
  const tenant = await db.tenant.findUniqueOrThrow({ where: { id: actor.tenantId } });
  if (tenant.plan !== DEDICATED_PLAN) {
    throw new AppError('forbidden', 'Not included in your plan', `Dedicated regions are part of the ${DEDICATED_PLAN} plan; this organization is on the ${tenant.plan} plan. Upgrade to request one.`, {
      plan: tenant.plan,
      requiredPlan: DEDICATED_PLAN,
    });
  }
  if (!deps.regions.has(input.location)) {
    throw new AppError('validation_failed', 'Unknown location', `There is no region ${JSON.stringify(input.location)}; one of ${deps.regions.regions.map((r) => r.id).join(', ')} (GET /api/v1/regions).`, {
      errors: [{ path: 'location', message: 'unknown region' }],
    });
  }
  if (tenant.allowedRegions.length > 0 && !tenant.allowedRegions.includes(input.location)) {
    throw new AppError(
      'unprocessable',
      'Outside the region policy',
      `This organization's region policy allows only ${tenant.allowedRegions.join(', ')}, so a dedicated region in ${input.location} could not run anything. Choose an allowed location, or change the policy with PUT /api/v1/region-policy.`,
      { errors: [{ path: 'location', message: 'outside the region policy' }] },
    );
  }
  const driver = deps.config.DEDICATED_PROVISIONER;
  const row = await db.$transaction(async (tx) => {
    const created = await tx.dedicatedRegion.create({
      data: {
        id: newId('dr'),
        tenantId: actor.tenantId,
        location: input.location,
        size: input.size,
        driver,
        state: 'requested',
        steps: [stepJson('requested', `${input.size} dedicated region in ${input.location} (driver ${driver})`)] as object[],
        requestedBy: actorRef(actor),
      },
    });
    await recordAudit(tx, {
      tenantId: actor.tenantId,
      actor,
      action: 'dedicated_region.requested',
      target: { type: 'dedicated_region', id: created.id },
      after: { location: created.location, size: created.size, driver },
      meta: call.meta,
    });
    return created;
  });
  changes.emit('changed', row.id);
  return row;
}

export async function listDedicatedRegions(db: Db, call: CallContext): Promise<DedicatedRegion[]> {
  authorize(call.actor, 'data_planes.read');
  return db.dedicatedRegion.findMany({ where: { tenantId: call.actor.tenantId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: 200 });
}

export async function getDedicatedRegion(db: Db, call: CallContext, id: string): Promise<DedicatedRegion> {
  return findOwn(db, call, id, 'data_planes.read');
}

/** From failed: back to the step it failed in (provisioning again, or the drain of a decommission). */
export async function retryDedicatedRegion(db: Db, call: CallContext, id: string): Promise<DedicatedRegion> {
  const row = await db.$transaction(async (tx) => {
    const before = await findOwn(tx, call, id, 'data_planes.write');
    if (before.state !== 'failed') throw conflict(before, 'retried', 'Only a failed dedicated region can be retried.');
    const plane = before.dataPlaneId ? await tx.dataPlane.findUnique({ where: { id: before.dataPlaneId } }) : null;
    const next: DedicatedState = plane?.drainingAt ? 'draining' : 'requested';
    const { count } = await tx.dedicatedRegion.updateMany({ where: { id, state: 'failed' }, data: { state: next, error: null, stateAt: new Date(), leaseOwner: null, leaseUntil: null } });
    if (!count) throw conflict(before, 'retried', 'It changed meanwhile; reload it.');
    await appendStep(tx, id, 'retry', next === 'draining' ? 'decommissioning again' : 'provisioning again');
    await recordAudit(tx, { tenantId: before.tenantId, actor: call.actor, action: 'dedicated_region.retried', target: { type: 'dedicated_region', id }, before: { state: 'failed', error: before.error }, after: { state: next }, meta: call.meta });
    return tx.dedicatedRegion.findUniqueOrThrow({ where: { id } });
  });
  changes.emit('changed', id);
  return row;
}

/** While requested, provisioning or enrolling: stops the work (the worker aborts the driver) and cleans up. */
export async function cancelDedicatedRegion(db: Db, call: CallContext, id: string, authSecret: string): Promise<DedicatedRegion> {
  const row = await db.$transaction(async (tx) => {
    const before = await findOwn(tx, call, id, 'data_planes.write');
    if (!CANCELLABLE.includes(before.state as DedicatedState)) throw conflict(before, 'cancelled', before.state === 'ready' ? 'Decommission it instead (DELETE).' : 'Only a dedicated region still being set up can be cancelled.');
    const { count } = await tx.dedicatedRegion.updateMany({ where: { id, state: before.state }, data: { state: 'cancelled', cleanup: true, stateAt: new Date() } });
    if (!count) throw conflict(before, 'cancelled', 'It changed meanwhile; reload it.');
    await revokeDataPlane(tx, before, authSecret);
    await appendStep(tx, id, 'cancelled', `cancelled while ${before.state}; cleaning up what was created`);
    await recordAudit(tx, { tenantId: before.tenantId, actor: call.actor, action: 'dedicated_region.cancelled', target: { type: 'dedicated_region', id }, before: { state: before.state }, after: { state: 'cancelled' }, meta: call.meta });
    return tx.dedicatedRegion.findUniqueOrThrow({ where: { id } });
  });
  changes.emit('changed', id);
  return row;
}

/**
 * Decommissioning: the data plane is marked draining at once (placement refuses new deploys
 * and runs on it), the worker waits until its runs are terminal, then removes it through the
 * driver and revokes its credential.
 */
export async function decommissionDedicatedRegion(db: Db, call: CallContext, id: string): Promise<DedicatedRegion> {
  const row = await db.$transaction(async (tx) => {
    const before = await findOwn(tx, call, id, 'data_planes.write');
    if (before.state === 'draining') return before;
    if (!DECOMMISSIONABLE.includes(before.state as DedicatedState)) {
      throw conflict(before, 'decommissioned', before.state === 'decommissioned' ? 'It is already gone.' : 'Cancel it first (POST /api/v1/dedicated-regions/{id}/cancel).');
    }
    const { count } = await tx.dedicatedRegion.updateMany({ where: { id, state: before.state }, data: { state: 'draining', cleanup: false, error: null, stateAt: new Date(), leaseOwner: null, leaseUntil: null } });
    if (!count) throw conflict(before, 'decommissioned', 'It changed meanwhile; reload it.');
    if (before.dataPlaneId) {
      await tx.dataPlane.updateMany({ where: { id: before.dataPlaneId, drainingAt: null }, data: { drainingAt: new Date() } });
      // The data plane starts webhook and schedule runs by itself: it stops serving them, so the drain ends.
      const workflows = await tx.workflow.findMany({ where: { tenantId: before.tenantId }, select: { id: true } });
      for (const w of workflows) await enqueueCommand(tx, before.dataPlaneId, before.tenantId, { type: 'triggers.unregister', payload: { tenantId: before.tenantId, workflowId: w.id } });
    }
    await appendStep(tx, id, 'draining', before.dataPlaneId ? `no new deploys, runs, webhooks or schedules go to ${before.dataPlaneId}; waiting for its runs to finish` : 'nothing to drain');
    await recordAudit(tx, { tenantId: before.tenantId, actor: call.actor, action: 'dedicated_region.draining', target: { type: 'dedicated_region', id }, before: { state: before.state }, after: { state: 'draining', dataPlaneId: before.dataPlaneId }, meta: call.meta });
    return tx.dedicatedRegion.findUniqueOrThrow({ where: { id } });
  });
  changes.emit('changed', id);
  if (row.dataPlaneId) wake(row.dataPlaneId);
  return row;
}

/** Revokes the region's data plane (its credential stops working at once) and moves the tenant's home off it. */
async function revokeDataPlane(tx: Tx, row: Pick<DedicatedRegion, 'dataPlaneId' | 'tenantId' | 'location'>, authSecret: string): Promise<void> {
  if (!row.dataPlaneId) return;
  const { count } = await tx.dataPlane.updateMany({ where: { id: row.dataPlaneId, status: { not: 'revoked' } }, data: { status: 'revoked', credentialHash: null, enrollmentTokenHash: null, enrollmentExpiresAt: null } });
  const tenant = await tx.tenant.findUniqueOrThrow({ where: { id: row.tenantId } });
  if (tenant.homeDataPlaneId === row.dataPlaneId) {
    const home = await dataPlaneForRegion(tx, row.tenantId, row.location);
    await tx.tenant.update({ where: { id: row.tenantId }, data: { homeDataPlaneId: home?.id ?? null } });
    // Workflows whose triggers followed the home data plane get them back on the new home.
    for (const workflow of await tx.workflow.findMany({ where: { tenantId: row.tenantId } })) await syncTriggers(tx, authSecret, workflow);
  }
  if (count) await recordAudit(tx, { tenantId: row.tenantId, actor: SYSTEM, action: 'data_plane.revoked', target: { type: 'data_plane', id: row.dataPlaneId }, after: { status: 'revoked' } });
}

// ---------------------------------------------------------------------------------------
// The worker: does the work, one step at a time, under a lease.

export interface DedicatedWorkerOptions {
  provisioners: Provisioners;
  /** This worker's name in leases (default host:pid:random). */
  owner?: string;
  /** How often the loop looks for work (default 1 s). */
  intervalMs?: number;
  /** How long a claim holds without renewal (default 60 s); a crashed worker's rows wait this long. */
  leaseMs?: number;
  /** Enrolling fails after this long (default DEDICATED_ENROLL_TIMEOUT_SECONDS). */
  enrollTimeoutMs?: number;
  /** Rows worked on at once by the loop (default 4). */
  concurrency?: number;
  log?: (message: string) => void;
}

export interface DedicatedRegionWorker {
  /** Claims every row with work due (up to the concurrency) and advances each as far as it can go now. */
  tick(): Promise<number>;
  /** Advances one row, if it has work due and no other worker holds it. Returns whether it ran. */
  advance(id: string): Promise<boolean>;
  /** Start-up reconcile: restarts the data-plane process of `ready` local regions whose process is gone. */
  reconcile(): Promise<string[]>;
  /** Starts the loop (and the reconcile). */
  start(): void;
  /** Stops the loop, waits for the steps in progress, and stops the local driver's processes. */
  stop(): Promise<void>;
}

class Interrupted extends Error {}

export function createDedicatedRegionWorker(deps: { db: Db; regions: RegionCatalogue; config: ControlPlaneConfig }, options: DedicatedWorkerOptions): DedicatedRegionWorker {
  const { db, config } = deps;
  const owner = options.owner ?? `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const intervalMs = options.intervalMs ?? 1000;
  const leaseMs = options.leaseMs ?? 60_000;
  const enrollTimeoutMs = options.enrollTimeoutMs ?? config.DEDICATED_ENROLL_TIMEOUT_SECONDS * 1000;
  const concurrency = options.concurrency ?? 4;
  const log = options.log ?? ((m: string) => console.warn(`[dedicated-regions] ${m}`));
  const inFlight = new Map<string, Promise<void>>();
  const controllers = new Set<AbortController>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const due = () => ({ OR: [{ state: { in: ACTIVE } }, { state: 'cancelled', cleanup: true }], AND: [{ OR: [{ leaseUntil: null }, { leaseUntil: { lt: new Date() } }] }] });

  /** Takes the lease if it is free: the conditional update is re-checked against the latest row, so two replicas cannot both win. */
  async function claim(id: string): Promise<boolean> {
    const { count } = await db.dedicatedRegion.updateMany({ where: { id, ...due() }, data: { leaseOwner: owner, leaseUntil: new Date(Date.now() + leaseMs) } });
    return count === 1;
  }

  const specOf = (row: DedicatedRegion, enrollmentToken: string): DedicatedRegionSpec => ({
    id: row.id,
    tenantId: row.tenantId,
    location: row.location,
    size: row.size as DedicatedSize,
    dataPlaneId: row.dataPlaneId ?? `dp_${row.id}`,
    controlPlaneUrl: config.PUBLIC_URL,
    enrollmentToken,
    image: config.DATAPLANE_IMAGE,
  });

  async function work(id: string): Promise<void> {
    let row = await db.dedicatedRegion.findUniqueOrThrow({ where: { id } });
    const controller = new AbortController();
    controllers.add(controller);
    let expected = row.state;
    let lastRenew = Date.now();
    let releaseUntil: Date | null = null;
    let secret: string | undefined;
    const watch = setInterval(() => {
      void (async () => {
        const renew = Date.now() - lastRenew > leaseMs / 4;
        if (renew) {
          lastRenew = Date.now();
          const { count } = await db.dedicatedRegion.updateMany({ where: { id, leaseOwner: owner }, data: { leaseUntil: new Date(Date.now() + leaseMs) } });
          if (!count) return controller.abort(new Interrupted('lease lost'));
        }
        const now = await db.dedicatedRegion.findUnique({ where: { id }, select: { state: true, leaseOwner: true } });
        if (!now || now.leaseOwner !== owner) controller.abort(new Interrupted('lease lost'));
        else if (now.state !== expected) controller.abort(new Interrupted(`now ${now.state}`));
      })().catch(() => {});
    }, Math.min(1000, leaseMs / 4));

    const report = async (step: string, detail?: string) => {
      if (controller.signal.aborted) throw controller.signal.reason;
      await appendStep(db, id, step, detail === undefined ? undefined : redact(detail, [secret]));
    };

    /** Moves the row from the state being worked on, if it is still in it; audited with the step. */
    const transition = async (to: DedicatedState, data: Partial<Pick<DedicatedRegion, 'dataPlaneId' | 'error' | 'cleanup'>> & { resources?: Record<string, string> }, detail: string, after: Record<string, unknown> = {}) => {
      const moved = await db.$transaction(async (tx) => {
        const { count } = await tx.dedicatedRegion.updateMany({ where: { id, state: expected, leaseOwner: owner }, data: { state: to, stateAt: new Date(), ...data } });
        if (!count) return false;
        await appendStep(tx, id, to, redact(detail, [secret]));
        await recordAudit(tx, { tenantId: row.tenantId, actor: SYSTEM, action: `dedicated_region.${to}`, target: { type: 'dedicated_region', id }, before: { state: expected }, after: { state: to, ...after } });
        return true;
      });
      if (!moved) throw new Interrupted('changed meanwhile');
      expected = to;
      row = await db.dedicatedRegion.findUniqueOrThrow({ where: { id } });
    };
    const fail = (message: string) => transition('failed', { error: redact(message, [secret]) }, redact(message, [secret]), { error: redact(message, [secret]) });

    try {
      for (;;) {
        const driver = await options.provisioners.get(row.driver as DriverName);
        if (row.state === 'requested') {
          if (!deps.regions.has(row.location)) {
            await fail(`The location ${row.location} is no longer a region of the catalogue.`);
            return;
          }
          const dataPlaneId = row.dataPlaneId ?? `dp_${row.id}`;
          const existing = await db.dataPlane.findUnique({ where: { id: dataPlaneId } });
          if (!existing || existing.status === 'revoked') {
            secret = (await issueEnrollmentToken(db, { id: dataPlaneId, name: `Dedicated ${row.location} (${row.id})`, kind: 'dedicated', region: row.location, tenantId: row.tenantId }, SYSTEM)).enrollmentToken;
            if (existing) await db.dataPlane.update({ where: { id: dataPlaneId }, data: { status: 'pending', drainingAt: null } });
          }
          await transition('provisioning', { dataPlaneId, error: null }, `data plane ${dataPlaneId} registered; provisioning with the ${row.driver} driver`, { dataPlaneId });
        } else if (row.state === 'provisioning') {
          const plane = row.dataPlaneId ? await db.dataPlane.findUnique({ where: { id: row.dataPlaneId } }) : null;
          if (!plane) {
            await fail('Its data plane record is gone.');
            return;
          }
          // A token only until the data plane has enrolled: a restarted one uses its credential.
          if (secret === undefined) secret = plane.enrolledAt ? '' : (await issueEnrollmentToken(db, { id: plane.id, name: plane.name, kind: 'dedicated', region: plane.region, tenantId: row.tenantId }, SYSTEM)).enrollmentToken;
          let result;
          try {
            result = await driver.provision(specOf(row, secret), report, controller.signal);
          } catch (err) {
            if (controller.signal.aborted) throw controller.signal.reason;
            await fail(`Provisioning failed: ${(err as Error).message}`);
            return;
          }
          await transition('enrolling', { resources: result.resources }, `${result.publicUrl ? `data plane up at ${result.publicUrl}; ` : ''}waiting for ${plane.id} to enroll and report`);
        } else if (row.state === 'enrolling') {
          const plane = row.dataPlaneId ? await db.dataPlane.findUnique({ where: { id: row.dataPlaneId } }) : null;
          // Enrolled, and a heartbeat (the only call that reports a queue depth) arrived recently.
          if (plane?.enrolledAt && plane.queueDepth !== null && connectionOf(plane) === 'connected') {
            await transition('ready', {}, `data plane ${plane.id} enrolled${plane.version ? ` (version ${plane.version})` : ''} and reporting${plane.publicUrl ? ` at ${plane.publicUrl}` : ''}`, { dataPlaneId: plane.id });
            return;
          }
          if (Date.now() - row.stateAt.getTime() > enrollTimeoutMs) {
            await fail(`The data plane did not enroll and report within ${Math.round(enrollTimeoutMs / 1000)} s${plane?.enrolledAt ? ' (it enrolled but sent no heartbeat)' : ''}. Check its logs, then retry.`);
            return;
          }
          releaseUntil = new Date(Date.now() + Math.min(2000, intervalMs));
          return;
        } else if (row.state === 'draining') {
          if (row.dataPlaneId) {
            const running = await db.run.count({ where: { dataPlaneId: row.dataPlaneId, status: { in: ['queued', 'running'] } } });
            if (running > 0) {
              const steps = row.steps as unknown as Step[];
              const detail = `waiting for ${running} run${running === 1 ? '' : 's'} to finish`;
              if (steps.at(-1)?.detail !== detail) await report('draining.wait', detail);
              releaseUntil = new Date(Date.now() + 2000);
              return;
            }
          }
          try {
            await driver.decommission(specOf(row, ''), row.resources as Record<string, string>, report, controller.signal);
          } catch (err) {
            if (controller.signal.aborted) throw controller.signal.reason;
            await fail(`Decommissioning failed: ${(err as Error).message}`);
            return;
          }
          await db.$transaction((tx) => revokeDataPlane(tx, row, config.AUTH_SECRET));
          await transition('decommissioned', { resources: {} }, `removed by the ${row.driver} driver; data plane ${row.dataPlaneId ?? '(none)'} revoked`);
          return;
        } else if (row.state === 'cancelled' && row.cleanup) {
          try {
            await driver.decommission(specOf(row, ''), row.resources as Record<string, string>, report, controller.signal);
          } catch (err) {
            if (controller.signal.aborted) throw controller.signal.reason;
            await report('cleanup.failed', `${(err as Error).message}; retrying in 30 s`);
            releaseUntil = new Date(Date.now() + 30_000);
            return;
          }
          await db.$transaction(async (tx) => {
            await tx.dedicatedRegion.updateMany({ where: { id, leaseOwner: owner }, data: { cleanup: false, resources: {} } });
            await revokeDataPlane(tx, row, config.AUTH_SECRET);
            await appendStep(tx, id, 'cleaned_up', `removed what the ${row.driver} driver had created`);
          });
          return;
        } else {
          return;
        }
      }
    } catch (err) {
      if (!(err instanceof Interrupted) && !(controller.signal.aborted && err === controller.signal.reason)) {
        log(`${id}: ${redact((err as Error).message, [secret])}`);
        releaseUntil = new Date(Date.now() + 5000);
      }
    } finally {
      controllers.delete(controller);
      clearInterval(watch);
      await db.dedicatedRegion.updateMany({ where: { id, leaseOwner: owner }, data: { leaseOwner: null, leaseUntil: releaseUntil } }).catch(() => {});
    }
  }

  function run(id: string): Promise<void> {
    const p = work(id).finally(() => inFlight.delete(id));
    inFlight.set(id, p);
    return p;
  }

  /** Claims due rows (not already in flight here) and starts them; returns their promises. */
  async function pump(): Promise<Promise<void>[]> {
    const room = concurrency - inFlight.size;
    if (room <= 0 || stopped) return [];
    const candidates = await db.dedicatedRegion.findMany({ where: { ...due(), id: { notIn: [...inFlight.keys()] } }, orderBy: { stateAt: 'asc' }, take: room, select: { id: true } });
    const started: Promise<void>[] = [];
    for (const { id } of candidates) if (await claim(id)) started.push(run(id));
    return started;
  }

  const onChange = () => void pump().catch((err) => log(`pump: ${(err as Error).message}`));

  return {
    async tick() {
      const started = await pump();
      await Promise.all(started);
      return started.length;
    },
    async advance(id) {
      if (inFlight.has(id) || !(await claim(id))) return false;
      await run(id);
      return true;
    },
    async reconcile() {
      const restarted: string[] = [];
      const ready = await db.dedicatedRegion.findMany({ where: { state: 'ready', driver: 'local' } });
      if (!ready.length) return restarted;
      const local = await options.provisioners.get('local');
      for (const row of ready) {
        if (options.provisioners.local?.running(row.id)) continue;
        try {
          const steps: string[] = [];
          await local.provision(specOf(row, ''), async (step, detail) => void steps.push(`${step}: ${detail ?? ''}`), AbortSignal.timeout(120_000));
          await appendStep(db, row.id, 'reconciled', `the data-plane process was gone at control-plane start-up; restarted (${steps.filter((s) => s.startsWith('local.process')).join('; ')})`);
          restarted.push(row.id);
        } catch (err) {
          await appendStep(db, row.id, 'reconcile.failed', `could not restart its data-plane process: ${(err as Error).message}`);
          log(`reconcile ${row.id}: ${(err as Error).message}`);
        }
      }
      return restarted;
    },
    start() {
      if (timer) return;
      stopped = false;
      changes.on('changed', onChange);
      void this.reconcile().catch((err) => log(`reconcile: ${(err as Error).message}`));
      const loop = () => {
        timer = setTimeout(async () => {
          await pump().catch((err) => log(`pump: ${(err as Error).message}`));
          if (!stopped) loop();
        }, intervalMs);
        timer.unref?.();
      };
      loop();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
      changes.off('changed', onChange);
      // Interrupt the steps in progress (they resume, from their state, at the next start), then stop the local data planes.
      for (const c of controllers) c.abort(new Interrupted('stopping'));
      await Promise.allSettled([...inFlight.values()]);
      await options.provisioners.stop();
    },
  };
}
