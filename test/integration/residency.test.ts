import { gatewayPaths } from '@orvanta/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.ts';
import { createTestDataPlane, type TestDataPlane } from '../support/data-plane.ts';
import { apiClient, eventually } from '../support/http.ts';
import { freePort, startFromInstallForm, type InstalledDataPlane } from '../support/install-form.ts';
import { localDedicated, type LocalDedicated } from '../support/dedicated.ts';
import { findInControlPlane } from '../support/residency.ts';

/**
 * Data residency on every kind of data plane: a run whose input, output and logs carry a
 * unique marker leaves no trace of it in the control plane — in no table of its database and
 * in none of its logs — once the data plane has acknowledged the run.
 */
let cp: TestControlPlane;
let shared: TestDataPlane;
let onprem: InstalledDataPlane;
let onpremId: string;
let admin: ReturnType<typeof apiClient>;
let workflowId: string;
let tenantId: string;
let dedicated: LocalDedicated | null;

beforeAll(async () => {
  dedicated = await localDedicated();
  cp = await startTestControlPlane(dedicated?.config);
  const token = await cp.dataPlane('dp_residency_shared');
  const tenant = await cp.tenant('resident', 'dp_residency_shared');
  tenantId = tenant.tenantId;
  admin = apiClient(cp.url, tenant.apiKey);
  shared = await createTestDataPlane({ controlPlaneUrl: cp.url, enrollmentToken: token });
  const publicUrl = `http://127.0.0.1:${await freePort()}`;
  const created = await admin('POST', '/api/v1/data-planes', { kind: 'onprem', name: 'residency on-prem', publicUrl });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  onpremId = created.body.dataPlane.id;
  // Each kind as its own process set: the shared one as the test harness starts data planes,
  // the on-prem one from its single-host install form, enrolled by its token.
  [onprem] = await Promise.all([startFromInstallForm(created.body.install.node, { publicUrl }), shared.start()]);
  const wf = await admin('POST', '/api/v1/workflows', {
    name: 'carry-the-marker',
    nodes: [
      { id: 'echo', type: 'script', language: 'javascript', code: "export default (input) => { console.log('carrying ' + input.marker); return { echoed: input.marker } }" },
      { id: 'wrap', type: 'transform', expression: "{ 'result': echoed }" },
    ],
    edges: [{ from: 'echo', to: 'wrap' }],
  });
  expect(wf.status, JSON.stringify(wf.body)).toBe(201);
  workflowId = wf.body.id;
}, 180_000);

afterAll(async () => {
  await dedicated?.dispose();
  await onprem?.dispose();
  await shared?.dispose();
  await cp?.stop();
});

/** Runs the marker workflow on one data plane and waits until the run is finished and its command acknowledged. */
async function runWithMarker(dataPlaneId: string, expectedOrigin: string) {
  const marker = `residency-${dataPlaneId}-${Math.random().toString(36).slice(2)}`;
  expect((await admin('POST', `/api/v1/workflows/${workflowId}/deployments`, { environment: 'development', dataPlaneId })).status).toBe(201);
  const started = await admin('POST', `/api/v1/workflows/${workflowId}/runs`, { input: { marker }, environment: 'development' });
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  const run = await eventually(`the run on ${dataPlaneId}`, async () => {
    const r = (await admin('GET', `/api/v1/runs/${started.body.id}`)).body;
    return ['succeeded', 'failed', 'cancelled'].includes(r.status) ? r : undefined;
  }, 60_000);
  expect(run).toMatchObject({ status: 'succeeded', dataPlaneId });
  await eventually('the data plane to acknowledge the run', async () => {
    const commands = await cp.db.dataPlaneCommand.findMany({ where: { dataPlaneId, type: 'run.start', payload: { path: ['runId'], equals: run.id } } });
    return commands.length === 1 && commands[0]!.ackedAt !== null;
  });
  // The run really carried the marker, on its data plane.
  expect(new URL(run.links.data).origin).toBe(expectedOrigin);
  const data = await (await fetch(run.links.data)).json();
  expect(data.input).toEqual({ marker });
  expect(data.output).toEqual({ result: marker });
  expect(JSON.stringify(data.nodes)).toContain(`carrying ${marker}`);
  return marker;
}

describe('customer data stays on the data plane', () => {
  it('the log search sees what the control plane logs', async () => {
    // A data plane's event of a type this control plane does not know is logged with its type.
    const probe = `probe${Math.random().toString(36).slice(2)}`;
    const token = await cp.dataPlane('dp_residency_probe');
    const enrolled = await fetch(new URL(gatewayPaths.enroll, cp.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, version: 'test', publicUrl: 'http://127.0.0.1:9' }) });
    const { credential } = (await enrolled.json()) as { credential: string };
    const sent = await fetch(new URL(gatewayPaths.events, cp.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events: [{ id: 'evt_probe', seq: '1', occurredAt: new Date().toISOString(), type: `${probe}.happened`, payload: {} }] }),
    });
    expect(sent.status).toBe(200);
    expect(await findInControlPlane(cp, probe)).toEqual([expect.stringMatching(/^logs: /)]);
  });

  it('on a shared data plane: no trace of the marker in any control-plane table or log once the run is acknowledged', async () => {
    const marker = await runWithMarker('dp_residency_shared', new URL(shared.url).origin);
    expect(await findInControlPlane(cp, marker)).toEqual([]);
  });

  it('on an on-prem data plane started from its install form: no trace of the marker either', async () => {
    const marker = await runWithMarker(onpremId, new URL(onprem.url).origin);
    expect(await findInControlPlane(cp, marker)).toEqual([]);
  });

  it.skipIf(!process.env.TEST_DATABASE_URL)('on a dedicated data plane (local driver): no trace of the marker either', async () => {
    const region = await dedicated!.provision(cp, admin, tenantId);
    const marker = await runWithMarker(region.dataPlaneId, new URL(region.publicUrl).origin);
    expect(await findInControlPlane(cp, marker)).toEqual([]);
  }, 180_000);
});
