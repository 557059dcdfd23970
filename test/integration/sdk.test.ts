import { afterAll, beforeAll, expect, it } from 'vitest';
import { Orvanta, OrvantaError } from '@orvanta/sdk';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.ts';
import { createTestDataPlane, type TestDataPlane } from '../support/data-plane.ts';
import { HELLO_YAML } from '../support/http.ts';

let cp: TestControlPlane;
let dp: TestDataPlane;
let orvanta: Orvanta;

beforeAll(async () => {
  cp = await startTestControlPlane();
  const token = await cp.dataPlane('dp_sdk');
  const tenant = await cp.tenant('sdk', 'dp_sdk');
  orvanta = new Orvanta({ baseUrl: cp.url, apiKey: tenant.apiKey });
  dp = await createTestDataPlane({ controlPlaneUrl: cp.url, enrollmentToken: token });
  await dp.start();
});
afterAll(async () => {
  await dp?.dispose();
  await cp?.stop();
});

it('creates a workflow, runs it and reads its data through the SDK', async () => {
  const wf = await orvanta.workflows.create(HELLO_YAML);
  expect(wf.version).toBe(1);
  const queued = await orvanta.workflows.run(wf.id, { n: 20 });
  expect(queued.status).toBe('queued');
  const run = await orvanta.runs.waitFor(queued.id);
  expect(run.status).toBe('succeeded');
  const data = await orvanta.runs.data(run);
  expect(data.output).toEqual({ n: 41, from: 'inc' });
  const page = await orvanta.runs.list({ workflowId: wf.id });
  expect(page.data.map((r) => r.id)).toEqual([run.id]);

  // A retried call with the same idempotency key gets the same run, not a second one.
  const first = await orvanta.workflows.run(wf.id, { n: 1 }, { idempotencyKey: 'order-7' });
  const again = await orvanta.workflows.run(wf.id, { n: 1 }, { idempotencyKey: 'order-7' });
  expect(again.id).toBe(first.id);
  expect((await orvanta.runs.list({ workflowId: wf.id })).data).toHaveLength(2);
});

it('raises problems as OrvantaError with the field paths', async () => {
  const err = await orvanta.workflows.create({ name: 'x', nodes: [{ id: 'a', type: 'nope' }] }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(OrvantaError);
  expect((err as OrvantaError).status).toBe(422);
  expect((err as OrvantaError).problem.errors?.map((e) => e.path)).toContain('nodes[0].type');
  const denied = await new Orvanta({ baseUrl: cp.url, apiKey: 'orv_nope' }).runs.list().catch((e: unknown) => e);
  expect((denied as OrvantaError).status).toBe(401);
});
