import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.ts';
import { apiClient, HELLO_YAML } from '../support/http.ts';
import { generateApiKey } from '../../apps/console/src/server/auth/api-keys.ts';

let cp: TestControlPlane;
let acme: Awaited<ReturnType<TestControlPlane['tenant']>>;
let globex: Awaited<ReturnType<TestControlPlane['tenant']>>;

beforeAll(async () => {
  cp = await startTestControlPlane();
  await cp.dataPlane('dp_api');
  acme = await cp.tenant('acme', 'dp_api');
  globex = await cp.tenant('globex', 'dp_api');
});
afterAll(() => cp?.stop());

describe('authentication', () => {
  const cases: [string, Record<string, string>][] = [
    ['no credentials', {}],
    ['a malformed header', { authorization: 'Token abc' }],
    ['a key with a bad checksum', { authorization: `Bearer ${generateApiKey().secret.slice(0, -1)}x` }],
    ['a well-formed key that was never issued', { authorization: `Bearer ${generateApiKey().secret}` }],
    ['a forged session cookie', { cookie: 'next-auth.session-token=forged' }],
  ];
  it.each(cases)('refuses %s with 401 problem+json and says nothing more', async (_name, headers) => {
    const res = await fetch(`${cp.url}/api/v1/workflows`, { headers });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = await res.json();
    expect(body).toMatchObject({ status: 401, type: 'https://orvanta.dev/problems/unauthenticated' });
    expect(JSON.stringify(body)).not.toMatch(/acme|globex|owner@/);
  });

  it('refuses a revoked key at once', async () => {
    const api = apiClient(cp.url, acme.apiKey);
    expect((await api('GET', '/api/v1/workflows')).status).toBe(200);
    await cp.db.apiKey.updateMany({ where: { tenantId: acme.tenantId }, data: { revokedAt: new Date() } });
    expect((await api('GET', '/api/v1/workflows')).status).toBe(401);
    acme = await cp.tenant('acme', 'dp_api'); // a fresh key for the other tests
  });
});

describe('workflow documents', () => {
  it('accepts YAML and JSON, and versions every save', async () => {
    const api = apiClient(cp.url, acme.apiKey);
    const created = await api('POST', '/api/v1/workflows', HELLO_YAML, { 'content-type': 'application/yaml' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'hello', version: 1, document: { nodes: [{ id: 'double' }, { id: 'inc' }] } });
    const json = { name: 'hello-json', nodes: [{ id: 'a', type: 'script', language: 'javascript', code: 'export default (x) => x' }] };
    expect((await api('POST', '/api/v1/workflows', json)).status).toBe(201);
    const saved = await api('PUT', `/api/v1/workflows/${created.body.id}`, HELLO_YAML.replace('input.n * 2', 'input.n * 3'), { 'content-type': 'application/yaml' });
    expect(saved.body.version).toBe(2);
    expect((await api('GET', `/api/v1/workflows/${created.body.id}?version=1`)).body.document.nodes[0].code).toContain('* 2');
    expect((await api('GET', `/api/v1/workflows/${created.body.id}`)).body.document.nodes[0].code).toContain('* 3');
    const list = await api('GET', '/api/v1/workflows');
    expect(list.body.data.map((w: { name: string }) => w.name)).toEqual(expect.arrayContaining(['hello', 'hello-json']));
    expect((await api('POST', '/api/v1/workflows', HELLO_YAML, { 'content-type': 'application/yaml' })).status).toBe(409);
  });

  it('answers 422 naming each bad field, with line numbers for YAML, and saves nothing', async () => {
    const api = apiClient(cp.url, acme.apiKey);
    const before = await cp.db.workflow.count();
    const bad = `name: broken
nodes:
  - id: a
    type: script
    language: javascript
  - id: b
    type: teleport
edges:
  - { from: a, to: nowhere }
`;
    const res = await api('POST', '/api/v1/workflows', bad, { 'content-type': 'application/yaml' });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const paths = res.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['nodes[0].code', 'nodes[1].type']));
    const typeIssue = res.body.errors.find((e: { path: string }) => e.path === 'nodes[1].type');
    expect(typeIssue.line).toBe(7);
    expect(typeIssue.message).toMatch(/teleport/);
    expect(await cp.db.workflow.count()).toBe(before);
  });

  it('refuses unparseable bodies and unknown content types clearly', async () => {
    const api = apiClient(cp.url, acme.apiKey);
    const syntax = await api('POST', '/api/v1/workflows', 'name: [unclosed', { 'content-type': 'application/yaml' });
    expect(syntax.status).toBe(422);
    expect(syntax.body.errors[0].line).toBe(1);
    expect((await api('POST', '/api/v1/workflows', 'hello', { 'content-type': 'text/plain' })).status).toBe(415);
  });
});

describe('tenant isolation', () => {
  it("answers 404 for another tenant's workflows and runs, never 403", async () => {
    const mine = apiClient(cp.url, acme.apiKey);
    const theirs = apiClient(cp.url, globex.apiKey);
    const wf = await mine('POST', '/api/v1/workflows', HELLO_YAML.replace('name: hello', 'name: private'), { 'content-type': 'application/yaml' });
    const run = await mine('POST', `/api/v1/workflows/${wf.body.id}/runs`, { input: { n: 1 } });
    expect(run.status).toBe(202);
    for (const [method, path] of [
      ['GET', `/api/v1/workflows/${wf.body.id}`],
      ['PUT', `/api/v1/workflows/${wf.body.id}`],
      ['POST', `/api/v1/workflows/${wf.body.id}/runs`],
      ['GET', `/api/v1/runs/${run.body.id}`],
      ['POST', `/api/v1/runs/${run.body.id}/cancel`],
    ] as const) {
      const res = await theirs(method, path, method === 'PUT' ? HELLO_YAML : method === 'POST' ? {} : undefined, method === 'PUT' ? { 'content-type': 'application/yaml' } : {});
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    expect((await theirs('GET', '/api/v1/runs')).body.data).toEqual([]);
    expect((await theirs('GET', `/api/v1/runs?workflowId=${wf.body.id}`)).body.data).toEqual([]);
  });
});

describe('OpenAPI', () => {
  it('publishes an OpenAPI 3.1 document for every route, generated from the validating schemas', async () => {
    const res = await fetch(`${cp.url}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = await res.json();
    expect(doc.openapi).toBe('3.1.0');
    const ops = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, m]) => Object.keys(m).map((k) => `${k.toUpperCase()} ${p}`));
    expect(ops).toEqual(
      expect.arrayContaining(['POST /workflows', 'GET /workflows', 'GET /workflows/{id}', 'PUT /workflows/{id}', 'POST /workflows/{id}/runs', 'GET /runs', 'GET /runs/{id}', 'POST /runs/{id}/cancel'].map((op) => op.replace(' /', ' /api/v1/'))),
    );
    expect(doc.components.schemas.Run.properties.status.enum).toEqual(['queued', 'running', 'succeeded', 'failed', 'cancelled']);
    expect(JSON.stringify(doc.paths['/api/v1/workflows'].post.requestBody)).toContain('application/yaml');
  });
});
