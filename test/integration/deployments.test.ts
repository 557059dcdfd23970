import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.ts';
import { apiClient, HELLO_YAML } from '../support/http.ts';

/**
 * Environments and deployments as far as tenancy and roles go: production is protected
 * (deploys need an owner or admin), runs take the version live in their environment,
 * redeploying an older version rolls back, and a key bound to an environment stays there.
 * Runs are only queued here (the data plane is registered, not running).
 */

let cp: TestControlPlane;
let t: Awaited<ReturnType<TestControlPlane['tenant']>>;
let owner: ReturnType<typeof apiClient>;
let workflowId: string;

beforeAll(async () => {
  cp = await startTestControlPlane();
  await cp.dataPlane('dp_deploy');
  t = await cp.tenant('deploys', 'dp_deploy');
  owner = apiClient(cp.url, t.apiKey);
  const created = await owner('POST', '/api/v1/workflows', HELLO_YAML, { 'content-type': 'application/yaml' });
  workflowId = created.body.id;
  expect((await owner('PUT', `/api/v1/workflows/${workflowId}`, HELLO_YAML.replace('* 2', '* 3'), { 'content-type': 'application/yaml' })).body.version).toBe(2);
});
afterAll(() => cp?.stop());

async function as(role: string) {
  const { userId } = await cp.member(t.tenantId, `${role}-${Date.now().toString(36)}@deploys.test`, role);
  const { cookie } = await cp.signIn(userId, t.tenantId);
  const call = apiClient(cp.url);
  return (method: string, path: string, body?: unknown) => call(method, path, body, { cookie });
}

describe('environments', () => {
  it('start as development and a protected production', async () => {
    const list = await owner('GET', '/api/v1/environments');
    expect(list.body.data.map((e: { name: string; protected: boolean }) => [e.name, e.protected])).toEqual([
      ['development', false],
      ['production', true],
    ]);
  });

  it('need an admin to deploy to production; a developer deploys to development only', async () => {
    const developer = await as('developer');
    expect((await developer('POST', `/api/v1/workflows/${workflowId}/deployments`, { environment: 'development', version: 1 })).status).toBe(201);
    const refused = await developer('POST', `/api/v1/workflows/${workflowId}/deployments`, { environment: 'production' });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ permission: 'deployments.protected' });
    expect(refused.body.detail).toContain('production');

    const admin = await as('admin');
    expect((await admin('POST', `/api/v1/workflows/${workflowId}/deployments`, { environment: 'production', version: 1 })).status).toBe(201);

    // An owner can lift the protection; then the developer may deploy there.
    expect((await owner('PUT', '/api/v1/environments/production', { protected: false })).body.protected).toBe(false);
    expect((await developer('POST', `/api/v1/workflows/${workflowId}/deployments`, { environment: 'production', version: 1 })).status).toBe(201);
    expect((await owner('PUT', '/api/v1/environments/production', { protected: true })).body.protected).toBe(true);
    expect((await developer('PUT', '/api/v1/environments/production', { protected: false })).status).toBe(403);
  });

  it('refuses an unknown environment with 422, and a version that does not exist with 404', async () => {
    const unknown = await owner('POST', `/api/v1/workflows/${workflowId}/deployments`, { environment: 'staging' });
    expect(unknown.status).toBe(422);
    expect(unknown.body.detail).toContain('staging');
    expect((await owner('POST', `/api/v1/workflows/${workflowId}/deployments`, { environment: 'development', version: 99 })).status).toBe(404);
  });
});

describe('runs in an environment', () => {
  it('take the live version, and a redeploy of an older one rolls back', async () => {
    await owner('POST', `/api/v1/workflows/${workflowId}/deployments`, { environment: 'production', version: 2 });
    const onTwo = await owner('POST', `/api/v1/workflows/${workflowId}/runs`, { input: { n: 1 }, environment: 'production' });
    expect(onTwo.body).toMatchObject({ environment: 'production', workflowVersion: 2 });

    const rollback = await owner('POST', `/api/v1/workflows/${workflowId}/deployments`, { environment: 'production', version: 1 });
    expect(rollback.status).toBe(201);
    const onOne = await owner('POST', `/api/v1/workflows/${workflowId}/runs`, { input: { n: 1 }, environment: 'production' });
    expect(onOne.body).toMatchObject({ environment: 'production', workflowVersion: 1 });
    // The run already started keeps its version.
    expect((await owner('GET', `/api/v1/runs/${onTwo.body.id}`)).body.workflowVersion).toBe(2);

    const history = await owner('GET', `/api/v1/workflows/${workflowId}/deployments`);
    const production = history.body.data.filter((d: { environment: string }) => d.environment === 'production');
    expect(production[0]).toMatchObject({ version: 1, live: true });
    expect(production.slice(1).every((d: { live: boolean }) => !d.live)).toBe(true);
    const audit = await owner('GET', '/api/v1/audit?action=workflow.rolled_back');
    expect(audit.body.data[0]).toMatchObject({ before: { environment: 'production', version: 2 }, after: { environment: 'production', version: 1 } });

    // Without an environment, a run takes the tenant's default environment (development, v1 there)…
    expect((await owner('POST', `/api/v1/workflows/${workflowId}/runs`, { input: {} })).body).toMatchObject({ environment: 'development', workflowVersion: 1 });
    // …and the latest version when nothing is deployed there.
    const fresh = await owner('POST', '/api/v1/workflows', { name: `undeployed-${Date.now()}`, nodes: [{ id: 'a', type: 'transform', expression: '$' }] });
    expect((await owner('POST', `/api/v1/workflows/${fresh.body.id}/runs`, { input: {} })).body).toMatchObject({ environment: null, workflowVersion: 1 });
  });

  it('refuse an environment the workflow is not deployed to', async () => {
    await owner('PUT', '/api/v1/environments/staging', { protected: false });
    const res = await owner('POST', `/api/v1/workflows/${workflowId}/runs`, { input: {}, environment: 'staging' });
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(/no deployment in "staging"/);
  });

  it('keep a key bound to an environment there', async () => {
    const made = await owner('POST', '/api/v1/api-keys', { name: 'prod runner', scopes: ['runs.write', 'runs.read', 'deployments.write', 'deployments.protected'], environment: 'production' });
    const key = apiClient(cp.url, made.body.secret);
    expect((await key('POST', `/api/v1/workflows/${workflowId}/runs`, { input: {} })).body).toMatchObject({ environment: 'production' });
    const elsewhere = await key('POST', `/api/v1/workflows/${workflowId}/runs`, { input: {}, environment: 'development' });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.detail).toContain('bound to the "production" environment');
    expect((await key('POST', `/api/v1/workflows/${workflowId}/deployments`, { environment: 'development' })).status).toBe(403);
    expect((await key('POST', `/api/v1/workflows/${workflowId}/deployments`, { environment: 'production' })).status).toBe(201);
  });
});
