import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS, ROLE_PERMISSIONS, ROLES, type Permission, type Role } from '../../apps/console/src/server/auth/permissions.ts';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.ts';
import { apiClient, HELLO_YAML } from '../support/http.ts';

/**
 * The isolation and permission suite, generated from the route list: every operation in
 * /api/v1/openapi.json declares the permission it needs (`x-permission`), and this file
 * holds a fixture for each. For every route it checks that
 *   - a second tenant's API key and console session get 404 for the first tenant's resources
 *     (and never see them in lists);
 *   - each role gets exactly what ROLE_PERMISSIONS says, and API keys exactly their scopes;
 *   - every successful change writes an audit event carrying the request's id.
 * A route without an `x-permission` or without a fixture here fails the suite.
 */

type Caller = { kind: 'user'; userId: string; role: Role | 'owner-b' } | { kind: 'key' };
interface Call {
  path: string;
  body?: unknown;
  contentType?: string;
}
/** Builds a fresh request against tenant A's resources (fresh so mutations never collide). */
type Fixture = (caller: Caller) => Promise<Call>;

let cp: TestControlPlane;
let a: Awaited<ReturnType<TestControlPlane['tenant']>>;
let b: Awaited<ReturnType<TestControlPlane['tenant']>>;
let issuerServer: ServerType;
let issuer: string;
let operations: { method: string; path: string; permission: string }[];
const cookies = new Map<string, string>();
let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}`;

const ownerA = () => apiClient(cp.url, a.apiKey);

async function newWorkflow(): Promise<string> {
  const res = await ownerA()('POST', '/api/v1/workflows', HELLO_YAML.replace('name: hello', `name: wf-${unique()}`), { 'content-type': 'application/yaml' });
  expect(res.status).toBe(201);
  return res.body.id;
}
async function newRun(): Promise<string> {
  const res = await ownerA()('POST', `/api/v1/workflows/${await newWorkflow()}/runs`, { input: { n: 1 } });
  expect(res.status).toBe(202);
  return res.body.id;
}
/** A parked Trash item of tenant A, as the data plane's `trash.parked` event records it. */
async function newTrashItem(): Promise<string> {
  const run = await cp.db.run.findUniqueOrThrow({ where: { id: await newRun() } });
  const id = `trash_${unique()}`;
  await cp.db.trashItem.create({ data: { id, tenantId: run.tenantId, dataPlaneId: run.dataPlaneId, runId: run.id, workflowId: run.workflowId, nodeId: 'hello', errorClass: 'ScriptError', attempts: 3, status: 'parked', createdAt: new Date() } });
  return id;
}
async function newMember(role: Role): Promise<string> {
  return (await cp.member(a.tenantId, `m-${unique()}@a.test`, role)).membershipId;
}
async function newInvitation(): Promise<string> {
  const res = await ownerA()('POST', '/api/v1/invitations', { email: `inv-${unique()}@a.test`, role: 'viewer' });
  expect(res.status).toBe(201);
  return res.body.id;
}
async function newApiKey(): Promise<string> {
  const res = await ownerA()('POST', '/api/v1/api-keys', { name: `k-${unique()}`, scopes: ['runs.read'] });
  expect(res.status).toBe(201);
  return res.body.id;
}
async function newOnPremDataPlane(): Promise<string> {
  const res = await ownerA()('POST', '/api/v1/data-planes', { kind: 'onprem', name: `onprem-${unique()}` });
  expect(res.status).toBe(201);
  return res.body.dataPlane.id;
}
/** Dedicated regions need the enterprise plan; rows are made directly (no worker runs in this suite). */
async function newDedicatedRegion(state: string): Promise<string> {
  await cp.db.tenant.update({ where: { id: a.tenantId }, data: { plan: 'enterprise' } });
  const id = `dr_iso_${unique()}`;
  await cp.db.dedicatedRegion.create({ data: { id, tenantId: a.tenantId, location: 'eu-local', size: 'small', driver: 'local', state } });
  return id;
}
const ssoBody = () => ({ issuer, clientId: 'orvanta', clientSecret: 's3cret-value', domains: [`a-${unique()}.test`], defaultRole: 'viewer' });
async function ensureSso(): Promise<void> {
  expect((await ownerA()('PUT', '/api/v1/sso', ssoBody())).status).toBe(200);
}

/** One entry per operation of the OpenAPI document, keyed "METHOD /path". */
const FIXTURES: Record<string, Fixture> = {
  'GET /me': async () => ({ path: '/me' }),
  'GET /workflows': async () => ({ path: '/workflows' }),
  'POST /workflows': async () => ({ path: '/workflows', body: HELLO_YAML.replace('name: hello', `name: new-${unique()}`), contentType: 'application/yaml' }),
  'GET /workflows/{id}': async () => ({ path: `/workflows/${await newWorkflow()}` }),
  'PUT /workflows/{id}': async () => ({ path: `/workflows/${await newWorkflow()}`, body: HELLO_YAML.replace('name: hello', `name: v2-${unique()}`), contentType: 'application/yaml' }),
  'POST /workflows/{id}/runs': async () => ({ path: `/workflows/${await newWorkflow()}/runs`, body: { input: { n: 2 } } }),
  'GET /environments': async () => ({ path: '/environments' }),
  'PUT /environments/{name}': async () => ({ path: `/environments/env-${unique()}`, body: { protected: false } }),
  'POST /workflows/{id}/deployments': async () => ({ path: `/workflows/${await newWorkflow()}/deployments`, body: { environment: 'development' } }),
  'GET /workflows/{id}/deployments': async () => ({ path: `/workflows/${await newWorkflow()}/deployments` }),
  'GET /applications': async () => ({ path: '/applications' }),
  'PUT /applications/{name}': async () => ({ path: `/applications/app-${unique()}`, body: { concurrency: 2 } }),
  'GET /secrets': async () => ({ path: '/secrets' }),
  'PUT /secrets/{name}': async () => ({ path: `/secrets/S_${unique().toUpperCase()}`, body: { value: 'secret-value-1' } }),
  'DELETE /secrets/{name}': async () => {
    const name = `S_${unique().toUpperCase()}`;
    expect((await ownerA()('PUT', `/api/v1/secrets/${name}`, { value: 'to-delete' })).status).toBe(200);
    return { path: `/secrets/${name}` };
  },
  'GET /runs': async () => ({ path: '/runs' }),
  'GET /runs/{id}': async () => ({ path: `/runs/${await newRun()}` }),
  'POST /runs/{id}/cancel': async () => ({ path: `/runs/${await newRun()}/cancel` }),
  'POST /workflows/{id}/runs/cancel': async () => {
    const runId = await newRun();
    const { body } = await ownerA()('GET', `/api/v1/runs/${runId}`);
    return { path: `/workflows/${body.workflowId}/runs/cancel` };
  },
  'GET /trash': async () => ({ path: '/trash' }),
  'GET /trash/{id}': async () => ({ path: `/trash/${await newTrashItem()}` }),
  'POST /trash/{id}/approve': async () => ({ path: `/trash/${await newTrashItem()}/approve`, body: { payload: { fixed: true } } }),
  'POST /trash/{id}/reject': async () => ({ path: `/trash/${await newTrashItem()}/reject` }),
  'POST /trash/approve': async () => ({ path: '/trash/approve', body: { ids: [await newTrashItem()] } }),
  'POST /trash/reject': async () => ({ path: '/trash/reject', body: { ids: [await newTrashItem()] } }),
  'GET /regions': async () => ({ path: '/regions' }),
  'GET /data-planes': async () => ({ path: '/data-planes' }),
  'POST /data-planes': async () => ({ path: '/data-planes', body: { kind: 'onprem', name: `onprem-${unique()}` } }),
  'POST /data-planes/{id}/enrollment-token': async () => ({ path: `/data-planes/${await newOnPremDataPlane()}/enrollment-token` }),
  'POST /data-planes/{id}/revoke': async () => ({ path: `/data-planes/${await newOnPremDataPlane()}/revoke` }),
  'GET /region-policy': async () => ({ path: '/region-policy' }),
  'PUT /region-policy': async () => ({ path: '/region-policy', body: { homeRegion: 'eu-local', allowedRegions: ['eu-local', 'onprem'] } }),
  'POST /dedicated-regions': async () => (await cp.db.tenant.update({ where: { id: a.tenantId }, data: { plan: 'enterprise' } }), { path: '/dedicated-regions', body: { location: 'eu-local', size: 'small' } }),
  'GET /dedicated-regions': async () => ({ path: '/dedicated-regions' }),
  'GET /dedicated-regions/{id}': async () => ({ path: `/dedicated-regions/${await newDedicatedRegion('ready')}` }),
  'POST /dedicated-regions/{id}/retry': async () => ({ path: `/dedicated-regions/${await newDedicatedRegion('failed')}/retry` }),
  'POST /dedicated-regions/{id}/cancel': async () => ({ path: `/dedicated-regions/${await newDedicatedRegion('requested')}/cancel` }),
  'DELETE /dedicated-regions/{id}': async () => ({ path: `/dedicated-regions/${await newDedicatedRegion('failed')}` }),
  'GET /members': async () => ({ path: '/members' }),
  'PATCH /members/{id}': async () => ({ path: `/members/${await newMember('operator')}`, body: { role: 'viewer' } }),
  'DELETE /members/{id}': async () => ({ path: `/members/${await newMember('operator')}` }),
  'GET /invitations': async () => ({ path: '/invitations' }),
  'POST /invitations': async () => ({ path: '/invitations', body: { email: `new-${unique()}@a.test`, role: 'viewer' } }),
  'DELETE /invitations/{id}': async () => ({ path: `/invitations/${await newInvitation()}` }),
  'GET /api-keys': async () => ({ path: '/api-keys' }),
  'POST /api-keys': async () => ({ path: '/api-keys', body: { name: `key-${unique()}`, scopes: ['runs.read'] } }),
  'DELETE /api-keys/{id}': async () => ({ path: `/api-keys/${await newApiKey()}` }),
  'POST /api-keys/{id}/rotate': async () => ({ path: `/api-keys/${await newApiKey()}/rotate`, body: { gracePeriodSeconds: 0 } }),
  'GET /sessions': async () => ({ path: '/sessions' }),
  'DELETE /sessions/{id}': async (caller) => {
    // A second session of the caller's own, so the one making the call stays alive.
    const userId = caller.kind === 'user' ? caller.userId : a.userId;
    return { path: `/sessions/${(await cp.signIn(userId, a.tenantId)).sessionId}` };
  },
  'GET /audit': async () => ({ path: '/audit' }),
  'GET /audit/export': async () => ({ path: '/audit/export?format=jsonl' }),
  'GET /audit/verify': async () => ({ path: '/audit/verify' }),
  'GET /sso': async () => (await ensureSso(), { path: '/sso' }),
  'PUT /sso': async () => ({ path: '/sso', body: ssoBody() }),
  'DELETE /sso': async () => (await ensureSso(), { path: '/sso' }),
};

/** Routes whose resource is the tenant itself, or a name within the caller's own tenant, rather than an id. */
const TENANT_SINGLETONS = new Set(['GET /sso', 'PUT /sso', 'DELETE /sso', 'PUT /environments/{name}', 'PUT /secrets/{name}', 'PUT /applications/{name}']);

async function send(method: string, call: Call, auth: Record<string, string>) {
  const headers: Record<string, string> = { ...auth };
  if (call.contentType) headers['content-type'] = call.contentType;
  return apiClient(cp.url)(method, `/api/v1${call.path}`, call.body, headers);
}

beforeAll(async () => {
  cp = await startTestControlPlane({ API_KEY_RATE_LIMIT_PER_MINUTE: 100_000 });
  await cp.dataPlane('dp_iso');
  a = await cp.tenant('tenant-a', 'dp_iso');
  b = await cp.tenant('tenant-b', 'dp_iso');

  // A minimal OpenID discovery endpoint, so PUT /sso can succeed (sign-in itself is tested
  // end to end against a real provider).
  issuerServer = await new Promise<ServerType>((resolve) => {
    const s = serve(
      {
        port: 0,
        hostname: '127.0.0.1',
        fetch: () =>
          Response.json({ issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks` }),
      },
      () => resolve(s),
    );
  });
  issuer = `http://127.0.0.1:${(issuerServer.address() as AddressInfo).port}`;

  const doc = (await apiClient(cp.url)('GET', '/api/v1/openapi.json')).body as { paths: Record<string, Record<string, { 'x-permission'?: string }>> };
  operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ method: method.toUpperCase(), path: path.replace(/^\/api\/v1/, ''), permission: op['x-permission'] ?? '' })),
  );
  for (const role of ROLES) {
    const { userId } = await cp.member(a.tenantId, `${role}@a.test`, role);
    cookies.set(role, (await cp.signIn(userId, a.tenantId)).cookie);
    cookies.set(`${role}:id`, userId);
  }
  cookies.set('owner-b', (await cp.signIn(b.userId, b.tenantId)).cookie);
}, 60_000);

afterAll(async () => {
  issuerServer?.close();
  await cp?.stop();
});

const key = (op: { method: string; path: string }) => `${op.method} ${op.path}`;
const expectedFor = (permission: string, role: Role) =>
  permission === 'signed_in' || permission === 'person' || (ROLE_PERMISSIONS[role] as readonly string[]).includes(permission);

describe('the route list', () => {
  it('declares a known permission for every /api/v1 operation', () => {
    expect(operations.length).toBeGreaterThan(20);
    const bad = operations.filter((op) => !['signed_in', 'person', ...PERMISSIONS].includes(op.permission));
    expect(bad.map(key), 'operations without a valid x-permission').toEqual([]);
  });

  it('has an isolation fixture for every operation, and none for routes that are gone', () => {
    const routes = operations.map(key).sort();
    expect(Object.keys(FIXTURES).sort()).toEqual(routes);
  });
});

describe('tenant isolation', () => {
  it('answers 404 to another tenant, by key and by session, for every route naming a resource', async () => {
    const failures: string[] = [];
    for (const op of operations) {
      if (!op.path.includes('{') || TENANT_SINGLETONS.has(key(op))) continue;
      for (const [who, auth] of [
        ['key', { authorization: `Bearer ${b.apiKey}` }],
        ['session', { cookie: cookies.get('owner-b')! }],
      ] as const) {
        // People-only routes refuse every key with 403, whoever owns the id: nothing to probe.
        if (who === 'key' && op.permission === 'person') continue;
        const call = await FIXTURES[key(op)]!({ kind: 'user', userId: a.userId, role: 'owner' });
        const res = await send(op.method, call, auth);
        if (res.status !== 404) failures.push(`${key(op)} as tenant B's ${who}: ${res.status} ${JSON.stringify(res.body).slice(0, 160)}`);
        else expect(res.headers.get('content-type')).toBe('application/problem+json');
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it("never shows one tenant's resources in another's lists and reads", async () => {
    const marks = [a.tenantId, a.userId, a.email, await newWorkflow(), await newRun(), await newInvitation(), await newApiKey(), await newTrashItem()];
    await ensureSso();
    const leaks: string[] = [];
    for (const op of operations.filter((o) => o.method === 'GET' && !o.path.includes('{'))) {
      const call = await FIXTURES[key(op)]!({ kind: 'key' });
      for (const auth of <Record<string, string>[]>[{ authorization: `Bearer ${b.apiKey}` }, { cookie: cookies.get('owner-b')! }]) {
        const res = await send('GET', call, auth);
        const text = typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
        for (const mark of marks) if (text.includes(mark)) leaks.push(`${key(op)} shows ${mark}`);
      }
    }
    expect(leaks).toEqual([]);
  }, 120_000);
});

describe('the permission matrix', () => {
  it('gives each role exactly what ROLE_PERMISSIONS says, on every route', async () => {
    const wrong: string[] = [];
    for (const op of operations) {
      for (const role of ROLES) {
        const call = await FIXTURES[key(op)]!({ kind: 'user', userId: cookies.get(`${role}:id`)!, role });
        const res = await send(op.method, call, { cookie: cookies.get(role)! });
        const allowed = expectedFor(op.permission, role);
        if (allowed && [401, 403, 404].includes(res.status)) wrong.push(`${role} ${key(op)}: refused ${res.status} ${res.body?.detail ?? ''}`);
        if (!allowed && (res.status !== 403 || res.body?.permission !== op.permission)) wrong.push(`${role} ${key(op)}: expected 403 naming ${op.permission}, got ${res.status}`);
        if (res.status >= 500) wrong.push(`${role} ${key(op)}: ${res.status}`);
      }
    }
    expect(wrong).toEqual([]);
  }, 300_000);

  it('refuses an API key exactly the scope it lacks, and keeps people-only routes for people', async () => {
    const wrong: string[] = [];
    const keyWith = async (scopes: Permission[]) => {
      const res = await ownerA()('POST', '/api/v1/api-keys', { name: `scoped-${unique()}`, scopes });
      expect(res.status).toBe(201);
      return res.body.secret as string;
    };
    const everything = await keyWith([...PERMISSIONS]);
    for (const op of operations) {
      const permission = op.permission as Permission;
      const withIt = await send(op.method, await FIXTURES[key(op)]!({ kind: 'key' }), { authorization: `Bearer ${everything}` });
      if (op.permission === 'person') {
        if (withIt.status !== 403) wrong.push(`key ${key(op)}: people-only route answered ${withIt.status}`);
        continue;
      }
      if ([401, 403, 404].includes(withIt.status) || withIt.status >= 500) wrong.push(`key with ${op.permission} ${key(op)}: ${withIt.status} ${withIt.body?.detail ?? ''}`);
      if (op.permission === 'signed_in') continue;
      const without = await send(op.method, await FIXTURES[key(op)]!({ kind: 'key' }), { authorization: `Bearer ${await keyWith(PERMISSIONS.filter((p) => p !== permission))}` });
      if (without.status !== 403 || without.body?.permission !== permission) wrong.push(`key without ${permission} ${key(op)}: ${without.status}`);
    }
    expect(wrong).toEqual([]);
  }, 300_000);
});

describe('the audit trail', () => {
  it('records every successful change with the request id, in the same tenant', async () => {
    const missing: string[] = [];
    for (const op of operations.filter((o) => o.method !== 'GET')) {
      const requestId = `req_iso_${unique()}`;
      const call = await FIXTURES[key(op)]!({ kind: 'user', userId: cookies.get('owner:id')!, role: 'owner' });
      const res = await send(op.method, call, { cookie: cookies.get('owner')!, 'x-request-id': requestId });
      expect(res.status, `${key(op)}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
      const events = await cp.db.auditEvent.findMany({ where: { requestId } });
      if (events.length === 0) missing.push(key(op));
      for (const e of events) expect(e.tenantId).toBe(a.tenantId);
    }
    expect(missing, 'changes without an audit event').toEqual([]);
    expect((await ownerA()('GET', '/api/v1/audit/verify')).body).toMatchObject({ ok: true });
  }, 120_000);
});
