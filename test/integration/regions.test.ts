import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRegions, regionJsonSchema } from '../../apps/console/src/server/regions/catalogue.ts';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.ts';
import { createTestDataPlane, type TestDataPlane } from '../support/data-plane.ts';
import { apiClient, eventually } from '../support/http.ts';

/**
 * Regions: the shared regions declared in regions/, a tenant's region policy, and
 * deployments pinned to data planes — a run executes where its deployment is pinned, and
 * nothing runs or deploys outside the policy.
 */
const root = path.resolve(import.meta.dirname, '../..');
let cp: TestControlPlane;
let eu: TestDataPlane;
let us: TestDataPlane;
let owner: ReturnType<typeof apiClient>;
let tenantId: string;
let workflowId: string;

beforeAll(async () => {
  cp = await startTestControlPlane();
  const euToken = await cp.dataPlane('dp_eu', 'eu-local');
  const usToken = await cp.dataPlane('dp_us', 'us-local');
  const tenant = await cp.tenant('regional', 'dp_eu');
  tenantId = tenant.tenantId;
  owner = apiClient(cp.url, tenant.apiKey);
  eu = await createTestDataPlane({ controlPlaneUrl: cp.url, enrollmentToken: euToken });
  us = await createTestDataPlane({ controlPlaneUrl: cp.url, enrollmentToken: usToken });
  await Promise.all([eu.start(), us.start()]);
  const created = await owner('POST', '/api/v1/workflows', { name: 'where-am-i', nodes: [{ id: 'echo', type: 'transform', expression: '$' }] });
  workflowId = created.body.id;
}, 90_000);

afterAll(async () => {
  await eu?.dispose();
  await us?.dispose();
  await cp?.stop();
});

async function runTo(environment: string | undefined, input: unknown) {
  const started = await owner('POST', `/api/v1/workflows/${workflowId}/runs`, { input, ...(environment ? { environment } : {}) });
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  return eventually('the run to succeed', async () => {
    const r = (await owner('GET', `/api/v1/runs/${started.body.id}`)).body;
    return r.status === 'succeeded' ? r : undefined;
  });
}

describe('the region catalogue', () => {
  it('lists the shared regions declared in regions/', async () => {
    const res = await owner('GET', '/api/v1/regions');
    expect(res.body.data.map((r: { id: string; jurisdiction: string }) => [r.id, r.jurisdiction])).toEqual([
      ['eu-local', 'EU'],
      ['us-local', 'US'],
    ]);
  });

  it('keeps regions/region.schema.json equal to the schema the control plane validates with', () => {
    expect(JSON.parse(readFileSync(path.join(root, 'regions/region.schema.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(regionJsonSchema())));
  });

  it('refuses a bad region file, naming the file and the field', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'regions-'));
    writeFileSync(path.join(dir, 'mars.yaml'), 'id: mars\nname: Mars\njurisdiction: red\nendpoint: not a url\ncapacity: { tenants: 1, workers: 1 }\n');
    writeFileSync(path.join(dir, 'moon.yaml'), 'id: luna\nname: Moon\njurisdiction: XX\nendpoint: https://moon.example\ncapacity: { tenants: 1, workers: 1 }\n');
    expect(() => loadRegions(dir)).toThrow(/mars\.yaml: jurisdiction: must be an upper-case code.*mars\.yaml: endpoint: .*moon\.yaml: id "luna" must match the file name/);
  });
});

describe('data planes', () => {
  it('shows each data plane with its kind, region, version, heartbeat, connection and queue depth', async () => {
    const planes = await eventually('both data planes to have called in', async () => {
      const data = (await owner('GET', '/api/v1/data-planes')).body.data as { id: string; connection: string; version: string | null; queueDepth: number | null }[];
      // The queue depth comes with the first heartbeat.
      return data.every((d) => d.connection === 'connected' && d.version && d.queueDepth !== null) ? data : undefined;
    });
    expect(planes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 'dp_eu', kind: 'shared', region: 'eu-local', jurisdiction: 'EU', status: 'active', connection: 'connected', queueDepth: expect.any(Number), lastHeartbeatAt: expect.any(String) }),
        expect.objectContaining({ id: 'dp_us', kind: 'shared', region: 'us-local', jurisdiction: 'US' }),
      ]),
    );
  });
});

describe('pinning and the region policy', () => {
  it('runs each deployment where it is pinned, and moving it is audited', async () => {
    expect((await owner('POST', `/api/v1/workflows/${workflowId}/deployments`, { environment: 'development', dataPlaneId: 'dp_eu' })).status).toBe(201);
    const onEu = await runTo('development', { where: 'eu' });
    expect(onEu).toMatchObject({ dataPlaneId: 'dp_eu', region: 'eu-local' });
    expect(new URL(onEu.links.data).origin).toBe(new URL(eu.url).origin);

    const moved = await owner('POST', `/api/v1/workflows/${workflowId}/deployments`, { environment: 'development', dataPlaneId: 'dp_us' });
    expect(moved.body).toMatchObject({ dataPlaneId: 'dp_us', environment: 'development' });
    const onUs = await runTo(undefined, { where: 'us' });
    expect(onUs).toMatchObject({ environment: 'development', dataPlaneId: 'dp_us', region: 'us-local' });
    // Its data is served by the US data plane, and the EU one never saw it.
    expect(new URL(onUs.links.data).origin).toBe(new URL(us.url).origin);
    expect((await (await fetch(onUs.links.data)).json()).output).toEqual({ where: 'us' });
    const audit = (await owner('GET', '/api/v1/audit?action=workflow.moved')).body.data;
    expect(audit[0]).toMatchObject({ before: { environment: 'development', dataPlaneId: 'dp_eu' }, after: { environment: 'development', dataPlaneId: 'dp_us', region: 'us-local' } });
  });

  it('refuses deploys and runs outside the policy with 422 saying why, and names the deployments the policy now blocks', async () => {
    const policy = await owner('PUT', '/api/v1/region-policy', { homeRegion: 'eu-local', allowedRegions: ['eu-local'] });
    expect(policy.status, JSON.stringify(policy.body)).toBe(200);
    expect(policy.body).toMatchObject({ homeRegion: 'eu-local', allowedRegions: ['eu-local'], homeDataPlaneId: 'dp_eu' });
    expect(policy.body.conflicts).toEqual([{ workflowId, environment: 'development', dataPlaneId: 'dp_us', place: 'us-local' }]);

    const run = await owner('POST', `/api/v1/workflows/${workflowId}/runs`, { input: {}, environment: 'development' });
    expect(run.status).toBe(422);
    expect(run.body.detail).toContain('dp_us in region us-local (US)');
    expect(run.body.detail).toContain('allows only eu-local');

    const deploy = await owner('POST', `/api/v1/workflows/${workflowId}/deployments`, { environment: 'production', dataPlaneId: 'dp_us' });
    expect(deploy.status).toBe(422);
    expect(deploy.body.errors).toEqual([{ path: 'dataPlaneId', message: 'outside the region policy' }]);

    // Moving it back within the policy makes it run again.
    expect((await owner('POST', `/api/v1/workflows/${workflowId}/deployments`, { environment: 'development', dataPlaneId: 'dp_eu' })).status).toBe(201);
    expect(await runTo('development', {})).toMatchObject({ dataPlaneId: 'dp_eu' });
    expect((await cp.db.auditEvent.findFirst({ where: { tenantId, action: 'region_policy.updated' } }))?.after).toMatchObject({ allowedRegions: ['eu-local'] });
  });

  it('refuses an unknown region, a home region outside the allowed ones, and a data plane the tenant cannot use', async () => {
    const bad = await owner('PUT', '/api/v1/region-policy', { homeRegion: 'mars', allowedRegions: ['eu-local', 'atlantis'] });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(['homeRegion', 'allowedRegions.1', 'allowedRegions']);
    const notHome = await owner('PUT', '/api/v1/region-policy', { homeRegion: 'us-local', allowedRegions: ['eu-local'] });
    expect(notHome.body.errors).toEqual([{ path: 'allowedRegions', message: 'must include the home region us-local' }]);

    const other = await cp.tenant('other-regional', 'dp_eu');
    await cp.db.dataPlane.create({ data: { id: 'dp_other_dedicated', name: 'theirs', kind: 'dedicated', region: 'eu-local', tenantId: other.tenantId, status: 'active' } });
    const theirs = await owner('POST', `/api/v1/workflows/${workflowId}/deployments`, { environment: 'development', dataPlaneId: 'dp_other_dedicated' });
    expect(theirs.status).toBe(422);
    expect(theirs.body.detail).toBe('There is no data plane "dp_other_dedicated" this tenant can use. GET /api/v1/data-planes lists them.');
    expect(JSON.stringify((await owner('GET', '/api/v1/data-planes')).body)).not.toContain('dp_other_dedicated');
  });
});

describe('triggers follow the default environment’s deployment', () => {
  it('serves the webhook on the data plane the deployment is pinned to, with the deployed version, and stops it where it was', async () => {
    expect((await owner('PUT', '/api/v1/region-policy', { homeRegion: 'eu-local', allowedRegions: [] })).status).toBe(200);
    const created = await owner('POST', '/api/v1/workflows', { name: 'hooked', nodes: [{ id: 'v', type: 'transform', expression: "{ 'version': 1 }" }] });
    const id = created.body.id as string;
    await owner('PUT', `/api/v1/workflows/${id}`, { name: 'hooked', nodes: [{ id: 'v', type: 'transform', expression: "{ 'version': 2 }" }] });
    // Not deployed: the home data plane (EU) serves the latest version.
    const onHome = (await owner('GET', `/api/v1/workflows/${id}`)).body.links.webhook as string;
    expect(new URL(onHome).origin).toBe(new URL(eu.url).origin);
    const post = (url: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    // Registration travels through the command channel: post until a run of the expected version comes out.
    const hookRun = (url: string, version: number) =>
      eventually(`${url} to start a v${version} run`, async () => {
        const r = await post(url);
        if (r.status !== 202) return undefined;
        const { runId } = (await r.json()) as { runId: string };
        const run = await eventually('the hook run to finish', async () => {
          const got = (await owner('GET', `/api/v1/runs/${runId}`)).body;
          return got.status === 'succeeded' ? got : undefined;
        });
        return run.workflowVersion === version ? run : undefined;
      });
    expect(await hookRun(onHome, 2)).toMatchObject({ dataPlaneId: 'dp_eu' });

    // Deployed (v1, a rollback from the latest) to development on the US data plane: the hook moves there.
    expect((await owner('POST', `/api/v1/workflows/${id}/deployments`, { environment: 'development', version: 1, dataPlaneId: 'dp_us' })).status).toBe(201);
    const onUs = (await owner('GET', `/api/v1/workflows/${id}`)).body.links.webhook as string;
    expect(new URL(onUs).origin).toBe(new URL(us.url).origin);
    expect(await hookRun(onUs, 1)).toMatchObject({ dataPlaneId: 'dp_us' });
    // The EU data plane no longer answers for it.
    await eventually('the EU data plane to drop the hook', async () => (await post(onHome)).status === 404);
  });
});

describe('subworkflows in an environment', () => {
  it("run the child's version deployed to the parent run's environment on that data plane, or the latest without one", async () => {
    const make = async (name: string, nodes: unknown[]) => (await owner('POST', '/api/v1/workflows', { name, nodes })).body.id as string;
    const child = await make('child-env', [{ id: 'v', type: 'transform', expression: "{ 'v': 1 }" }]);
    await owner('PUT', `/api/v1/workflows/${child}`, { name: 'child-env', nodes: [{ id: 'v', type: 'transform', expression: "{ 'v': 2 }" }] });
    const parent = await make('parent-env', [{ id: 'call', type: 'subworkflow', workflow: 'child-env' }]);
    for (const [id, version] of [[child, 1], [parent, 1]] as const) {
      expect((await owner('POST', `/api/v1/workflows/${id}/deployments`, { environment: 'production', version, dataPlaneId: 'dp_eu' })).status).toBe(201);
    }
    const runIn = async (environment?: string) => {
      const started = await owner('POST', `/api/v1/workflows/${parent}/runs`, { input: {}, ...(environment ? { environment } : {}) });
      const done = await eventually('the parent run to finish', async () => {
        const r = (await owner('GET', `/api/v1/runs/${started.body.id}`)).body;
        return ['succeeded', 'failed'].includes(r.status) ? r : undefined;
      });
      return { run: done, data: await (await fetch(done.links.data)).json() };
    };
    // The deployment reaches the data plane through the command channel.
    const inProduction = await eventually('the production child to be known on the data plane', async () => {
      const r = await runIn('production');
      return r.run.status === 'succeeded' ? r : undefined;
    });
    expect(inProduction.data.output).toEqual({ v: 1 });
    const latest = await eventually('the latest child to be registered', async () => {
      const r = await runIn();
      return r.run.status === 'succeeded' ? r : undefined;
    });
    expect(latest.run.environment).toBeNull();
    expect(latest.data.output).toEqual({ v: 2 });

    const pinnedEnv = await make('parent-staging', [{ id: 'call', type: 'subworkflow', workflow: 'child-env', environment: 'staging' }]);
    const started = await owner('POST', `/api/v1/workflows/${pinnedEnv}/runs`, { input: {} });
    const failed = await eventually('the run to fail', async () => {
      const r = (await owner('GET', `/api/v1/runs/${started.body.id}`)).body;
      return r.status === 'failed' ? r : undefined;
    });
    const node = (await (await fetch(failed.links.data)).json()).nodes[0];
    expect(node.error.message).toBe('no workflow named "child-env" is deployed to "staging" on this data plane');
  });
});
