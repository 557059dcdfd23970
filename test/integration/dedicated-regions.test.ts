import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestRedis, type TestRedis } from '@orvanta/devstack/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueEnrollmentToken } from '../../apps/console/src/server/dataplanes/service.ts';
import { createDedicatedRegionWorker, type DedicatedRegionWorker } from '../../apps/console/src/server/regions/dedicated.ts';
import { createProvisioners } from '../../apps/console/src/server/regions/provisioners/index.ts';
import { localDatabaseName } from '../../apps/console/src/server/regions/provisioners/local.ts';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.ts';
import { createTestDataPlane, type TestDataPlane } from '../support/data-plane.ts';
import { apiClient, eventually, HELLO_YAML } from '../support/http.ts';

/**
 * Dedicated regions end to end with the `local` driver, which really provisions: a database
 * on the test Postgres server, a Redis key space and a data-plane process that enrolls
 * itself. The state machine is driven with `tick()` here (the control plane's loop calls the
 * same), so each step can be observed and crashes simulated between them.
 *
 * The local driver creates databases, which embedded PGlite cannot: this suite needs
 * TEST_DATABASE_URL (a real server), as CI sets it.
 */
const serverUrl = process.env.TEST_DATABASE_URL;
const SLOW_YAML = `name: slow
nodes:
  - { id: wait, type: delay, durationMs: 4000 }
  - { id: echo, type: transform, expression: "$" }
edges:
  - { from: wait, to: echo }
`;

let cp: TestControlPlane;
let shared: TestDataPlane;
let redis: TestRedis;
let worker: DedicatedRegionWorker;
let owner: ReturnType<typeof apiClient>;
let tenantId: string;
let dir: string;
const workers: DedicatedRegionWorker[] = [];

const databaseExists = async (name: string) => {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return ((await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount ?? 0) > 0;
  } finally {
    await client.end();
  }
};
const redisKeys = async (pattern: string) => {
  const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  try {
    return (await client.keys(pattern)).length;
  } finally {
    client.disconnect();
  }
};
const answers = (url: string) => fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);

function newWorker(overrides: Record<string, unknown> = {}): DedicatedRegionWorker {
  const config = { ...cp.deps.config, ...overrides };
  const w = createDedicatedRegionWorker({ ...cp.deps, config }, { provisioners: createProvisioners(config, { localEnv: { LOG_LEVEL: 'debug' } }), intervalMs: 200, log: () => {} });
  workers.push(w);
  return w;
}

/** Ticks the worker until the region is in one of `states`; returns it. */
async function drive(id: string, states: string[], w = worker, timeoutMs = 120_000) {
  return eventually(
    `${id} to be ${states.join(' or ')}`,
    async () => {
      await w.tick();
      const r = (await owner('GET', `/api/v1/dedicated-regions/${id}`)).body;
      if (!states.includes(r.state)) await new Promise((res) => setTimeout(res, 300));
      return states.includes(r.state) ? r : undefined;
    },
    timeoutMs,
  );
}

async function runOn(workflowId: string, input: unknown, wait = true) {
  const started = await owner('POST', `/api/v1/workflows/${workflowId}/runs`, { input, environment: 'production' });
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  if (!wait) return started.body;
  return eventually('the run to succeed', async () => {
    const r = (await owner('GET', `/api/v1/runs/${started.body.id}`)).body;
    return r.status === 'succeeded' ? r : undefined;
  }, 60_000);
}

beforeAll(async () => {
  if (!serverUrl) return;
  redis = await createTestRedis();
  dir = mkdtempSync(path.join(os.tmpdir(), 'orvanta-dr-'));
  cp = await startTestControlPlane({
    LOCAL_PROVISIONER_DATABASE_URL: serverUrl,
    LOCAL_PROVISIONER_REDIS_URL: redis.url,
    LOCAL_PROVISIONER_REDIS_PREFIX: `${redis.prefix}orvanta`,
    LOCAL_PROVISIONER_DIR: dir,
  });
  const token = await cp.dataPlane('dp_shared_eu', 'eu-local');
  const tenant = await cp.tenant('dedicated', 'dp_shared_eu');
  tenantId = tenant.tenantId;
  owner = apiClient(cp.url, tenant.apiKey);
  shared = await createTestDataPlane({ controlPlaneUrl: cp.url, enrollmentToken: token });
  await shared.start();
  worker = newWorker();
}, 120_000);

afterAll(async () => {
  for (const w of workers) await w.stop();
  await shared?.dispose();
  await cp?.stop();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe.skipIf(!serverUrl)('dedicated regions (local driver)', () => {
  it('are for the enterprise plan only, in a region the policy allows', async () => {
    const free = await owner('POST', '/api/v1/dedicated-regions', { location: 'eu-local', size: 'small' });
    expect(free.status).toBe(403);
    expect(free.body.detail).toMatch(/enterprise plan.*free plan/);

    await cp.db.tenant.update({ where: { id: tenantId }, data: { plan: 'enterprise' } });
    expect((await owner('PUT', '/api/v1/region-policy', { homeRegion: 'eu-local', allowedRegions: ['eu-local'] })).status).toBe(200);
    const outside = await owner('POST', '/api/v1/dedicated-regions', { location: 'us-local', size: 'small' });
    expect(outside.status).toBe(422);
    expect(outside.body.detail).toContain('allows only eu-local');
    const unknown = await owner('POST', '/api/v1/dedicated-regions', { location: 'mars', size: 'small' });
    expect(unknown.body.errors).toEqual([{ path: 'location', message: 'unknown region' }]);
    expect((await cp.db.dedicatedRegion.count({ where: { tenantId } }))).toBe(0);

    const list = await owner('GET', '/api/v1/dedicated-regions');
    expect(list.body.provisioner).toEqual({ driver: 'local', available: true, detail: null });
  });

  it('provisions one, resumes after a crash, runs pinned work on it, restarts it after a control-plane restart, and drains it before decommissioning', async () => {
    const requested = await owner('POST', '/api/v1/dedicated-regions', { location: 'eu-local', size: 'small' });
    expect(requested.status, JSON.stringify(requested.body)).toBe(202);
    expect(requested.body).toMatchObject({ state: 'requested', location: 'eu-local', size: 'small', driver: 'local', dataPlaneId: null });
    const id: string = requested.body.id;

    // A replica took it to provisioning and crashed there, holding a lease.
    const dataPlaneId = `dp_${id}`;
    await issueEnrollmentToken(cp.db, { id: dataPlaneId, name: 'crashed', kind: 'dedicated', region: 'eu-local', tenantId }, { type: 'system' });
    await cp.db.dedicatedRegion.update({ where: { id }, data: { state: 'provisioning', dataPlaneId, leaseOwner: 'replica-that-crashed', leaseUntil: new Date(Date.now() + 60_000) } });
    expect(await worker.tick(), 'a live lease is respected').toBe(0);
    await cp.db.dedicatedRegion.update({ where: { id }, data: { leaseUntil: new Date(Date.now() - 1000) } });

    const ready = await drive(id, ['ready', 'failed']);
    expect(ready.error).toBeNull();
    expect(ready.state).toBe('ready');
    const steps = ready.steps.map((s: { step: string }) => s.step);
    expect(steps).toEqual(expect.arrayContaining(['requested', 'local.database', 'local.redis', 'local.process', 'enrolling', 'ready']));
    expect(ready.dataPlane).toMatchObject({ id: dataPlaneId, kind: 'dedicated', region: 'eu-local', status: 'active', connection: 'connected' });
    expect(ready.resources.database).toBe(localDatabaseName(id));
    expect(await databaseExists(localDatabaseName(id))).toBe(true);
    const publicUrl: string = ready.dataPlane.publicUrl;
    // The enrollment token appears nowhere: not in steps, the API answer, nor the data plane's log.
    expect(JSON.stringify(ready)).not.toMatch(/orvdp_enroll_/);
    expect(readFileSync(ready.resources.logFile, 'utf8')).not.toMatch(/orvdp_enroll_/);
    const actions = (await cp.db.auditEvent.findMany({ where: { tenantId, targetId: id } })).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['dedicated_region.requested', 'dedicated_region.enrolling', 'dedicated_region.ready']));

    // Pinned work runs there, and its data is served by that data plane.
    const wf = await owner('POST', '/api/v1/workflows', HELLO_YAML.replace('name: hello', 'name: dedicated-hello'), { 'content-type': 'application/yaml' });
    expect((await owner('POST', `/api/v1/workflows/${wf.body.id}/deployments`, { environment: 'production', dataPlaneId })).status).toBe(201);
    const run = await runOn(wf.body.id, { n: 20 });
    expect(run).toMatchObject({ dataPlaneId, region: 'eu-local' });
    expect(new URL(run.links.data).origin).toBe(new URL(publicUrl).origin);
    expect((await (await fetch(run.links.data)).json()).output).toEqual({ n: 41, from: 'inc' });

    // The control plane stops (which stops its local data planes) and starts again: the
    // start-up reconcile finds the process gone and restarts it on the same port.
    await worker.stop();
    await eventually('the data plane to be down', async () => !(await answers(publicUrl)));
    worker = newWorker();
    expect(await worker.reconcile()).toEqual([id]);
    expect(await answers(publicUrl)).toBe(true);
    expect((await runOn(wf.body.id, { n: 1 })).dataPlaneId).toBe(dataPlaneId);

    // Decommissioning waits for the run in flight, refuses new work, then removes everything.
    const slow = await owner('POST', '/api/v1/workflows', SLOW_YAML, { 'content-type': 'application/yaml' });
    expect((await owner('POST', `/api/v1/workflows/${slow.body.id}/deployments`, { environment: 'production', dataPlaneId })).status).toBe(201);
    const inFlight = await runOn(slow.body.id, { slow: true }, false);
    const draining = await owner('DELETE', `/api/v1/dedicated-regions/${id}`);
    expect(draining.status).toBe(202);
    expect(draining.body.state).toBe('draining');
    const refused = await owner('POST', `/api/v1/workflows/${wf.body.id}/runs`, { input: { n: 1 }, environment: 'production' });
    expect(refused.status).toBe(422);
    expect(refused.body.detail).toContain('being decommissioned');
    expect((await owner('POST', `/api/v1/workflows/${wf.body.id}/deployments`, { environment: 'development', dataPlaneId })).status).toBe(422);
    expect((await owner('GET', '/api/v1/data-planes')).body.data).toContainEqual(expect.objectContaining({ id: dataPlaneId, draining: true }));

    const gone = await drive(id, ['decommissioned', 'failed']);
    expect(gone.error).toBeNull();
    expect(gone.steps.map((s: { step: string }) => s.step)).toContain('draining.wait');
    expect((await owner('GET', `/api/v1/runs/${inFlight.id}`)).body.status).toBe('succeeded');
    expect(gone.dataPlane).toMatchObject({ status: 'revoked', connection: 'revoked' });
    expect(await databaseExists(localDatabaseName(id))).toBe(false);
    expect(await answers(publicUrl)).toBe(false);
    expect(await redisKeys(`${redis.prefix}orvanta-dr-${id}:*`)).toBe(0);
    expect((await cp.db.auditEvent.findMany({ where: { tenantId, action: { in: ['dedicated_region.draining', 'dedicated_region.decommissioned'] } } })).length).toBe(2);
  }, 300_000);

  it('fails with the reason when the driver cannot work, retries, and cancels while provisioning, cleaning up', async () => {
    const requested = await owner('POST', '/api/v1/dedicated-regions', { location: 'eu-local', size: 'small' });
    const id: string = requested.body.id;
    const broken = newWorker({ LOCAL_PROVISIONER_DATABASE_URL: 'postgres://postgres:hunter2@127.0.0.1:1/postgres' });
    const failed = await drive(id, ['failed'], broken);
    expect(failed.error).toMatch(/^Provisioning failed: Cannot reach the Postgres server 127\.0\.0\.1:1/);
    expect(JSON.stringify(failed)).not.toContain('hunter2');
    expect(failed.steps.at(-1)).toMatchObject({ step: 'failed' });
    expect((await owner('POST', `/api/v1/dedicated-regions/${id}/cancel`)).status).toBe(409);

    const retried = await owner('POST', `/api/v1/dedicated-regions/${id}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ state: 'requested', error: null });

    // Work on it (with the working configuration) and cancel once its process has been started.
    const working = worker.tick();
    await eventually('the data-plane process to start', async () => (await owner('GET', `/api/v1/dedicated-regions/${id}`)).body.steps.some((s: { step: string }) => s.step === 'local.process'), 60_000);
    const cancelled = await owner('POST', `/api/v1/dedicated-regions/${id}/cancel`);
    expect(cancelled.status).toBe(202);
    expect(cancelled.body.state).toBe('cancelled');
    await working;
    const cleaned = await eventually('the cleanup', async () => {
      await worker.tick();
      const r = (await owner('GET', `/api/v1/dedicated-regions/${id}`)).body;
      return r.steps.some((s: { step: string }) => s.step === 'cleaned_up') ? r : undefined;
    }, 60_000);
    expect(cleaned).toMatchObject({ state: 'cancelled', dataPlane: { status: 'revoked' } });
    expect(await databaseExists(localDatabaseName(id))).toBe(false);
    const record = path.join(dir, id, 'process.json');
    expect(existsSync(record)).toBe(false);
    expect((await owner('POST', `/api/v1/dedicated-regions/${id}/retry`)).status).toBe(409);
    expect((await cp.db.auditEvent.count({ where: { tenantId, action: { in: ['dedicated_region.failed', 'dedicated_region.retried', 'dedicated_region.cancelled'] } } }))).toBe(3);
  }, 180_000);

  it('lets one replica at a time work on a region, and fails one whose data plane never enrolls', async () => {
    const id = 'dr_never_enrolls';
    await issueEnrollmentToken(cp.db, { id: `dp_${id}`, name: 'silent', kind: 'dedicated', region: 'eu-local', tenantId }, { type: 'system' });
    await cp.db.dedicatedRegion.create({ data: { id, tenantId, location: 'eu-local', size: 'small', driver: 'local', state: 'enrolling', dataPlaneId: `dp_${id}`, stateAt: new Date(Date.now() - 10 * 60_000) } });
    const other = newWorker();
    const claimed = await Promise.all([worker.advance(id), other.advance(id)]);
    expect(claimed.filter(Boolean)).toHaveLength(1);
    const failed = (await owner('GET', `/api/v1/dedicated-regions/${id}`)).body;
    expect(failed).toMatchObject({ state: 'failed', error: 'The data plane did not enroll and report within 300 s. Check its logs, then retry.' });
    expect(await cp.db.auditEvent.count({ where: { targetId: id, action: 'dedicated_region.failed' } })).toBe(1);
  });
});
