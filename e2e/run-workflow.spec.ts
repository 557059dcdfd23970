import { expect, test, type Locator } from '@playwright/test';
import path from 'node:path';
import { createWorkflow, demoCredentials, signIn, startRun, uniqueName } from './support';
import { helloYaml } from '../test/support/http';


const boom = (name: string) => `name: ${name}
nodes:
  - id: explode
    type: script
    language: javascript
    code: "export default () => { throw new Error('boom') }"
`;

/** Parses the JSON shown in a `<pre>`, waiting until it holds the expected value. */
async function expectJson(locator: Locator, expected: unknown) {
  await expect(async () => {
    expect(JSON.parse((await locator.textContent()) ?? 'null')).toEqual(expected);
  }).toPass({ timeout: 15_000 });
}

test('a run started with the API goes live in the console, with payloads from the data plane', async ({ page, request }) => {
  const demo = await demoCredentials();
  await signIn(page, demo);

  // The runs list is open before the run exists: it must appear and finish without a reload.
  await page.evaluate(() => ((window as unknown as { e2eMarker: boolean }).e2eMarker = true));
  const workflow = await createWorkflow(request, demo.apiKey, helloYaml(uniqueName('hello')));
  const run = await startRun(request, demo.apiKey, workflow.id, { n: 20 });

  await expect(page.getByTestId('runs-table').or(page.getByTestId('runs-empty'))).toBeVisible();
  const row = page.locator(`[data-testid="run-row"][data-run-id="${run.id}"]`);
  await expect(row).toBeVisible();
  await expect(row.getByTestId('run-status')).toHaveText('succeeded', { timeout: 30_000 });
  await expect(row.getByRole('link')).toHaveText(workflow.name);
  expect(await page.evaluate(() => (window as unknown as { e2eMarker?: boolean }).e2eMarker)).toBe(true);

  await row.getByRole('link').click();
  await expect(page).toHaveURL(new RegExp(`/runs/${run.id}$`));
  await expect(page.getByTestId('run-status')).toHaveText('succeeded');

  const double = page.getByTestId('node-double');
  const inc = page.getByTestId('node-inc');
  await expect(double.getByTestId('node-status')).toHaveText('succeeded');
  await expect(inc.getByTestId('node-status')).toHaveText('succeeded');
  await expectJson(double.getByTestId('node-input'), { n: 20 });
  await expectJson(double.getByTestId('node-output'), { n: 40 });
  await expectJson(inc.getByTestId('node-input'), { n: 40 });
  await expectJson(inc.getByTestId('node-output'), { n: 41, from: 'inc' });
  await expectJson(page.getByTestId('run-input'), { n: 20 });
  await expectJson(page.getByTestId('run-output'), { n: 41, from: 'inc' });
  await expect(page.getByTestId('data-plane-notice')).toHaveCount(0);

  // Nodes show in the workflow's order.
  const order = await page.locator('section[data-testid^="node-"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
  expect(order).toEqual(['node-double', 'node-inc']);

  await page.screenshot({ path: path.join(test.info().project.outputDir, 'run-succeeded.png'), fullPage: true });
});

test('a failing script shows the run failed with its error message', async ({ page, request }) => {
  const demo = await demoCredentials();
  await signIn(page, demo);

  const workflow = await createWorkflow(request, demo.apiKey, boom(uniqueName('boom')));
  const run = await startRun(request, demo.apiKey, workflow.id, { any: 'thing' });

  await page.goto(`/runs/${run.id}`);
  await expect(page.getByTestId('run-status')).toHaveText('failed', { timeout: 30_000 });
  const node = page.getByTestId('node-explode');
  await expect(node.getByTestId('node-status')).toHaveText('failed');
  await expect(node.getByTestId('node-error').getByTestId('error-message')).toHaveText('boom');
  await expect(page.getByTestId('run-error').getByTestId('error-message')).toHaveText('boom');
  await expect(page.getByTestId('run-output')).toContainText('No output: the run failed.');
  await expect(page.getByTestId('cancel-run')).toHaveCount(0);

  await page.screenshot({ path: path.join(test.info().project.outputDir, 'run-failed.png'), fullPage: true });
});

test('when the data plane is unreachable from the browser the run page says so', async ({ page, request }) => {
  const demo = await demoCredentials();
  await signIn(page, demo);
  const workflow = await createWorkflow(request, demo.apiKey, helloYaml(uniqueName('offline')));
  const run = await startRun(request, demo.apiKey, workflow.id, { n: 1 });

  // The browser cannot reach the data plane; the control plane still can answer.
  const detail = await (await request.get(`/api/v1/runs/${run.id}`, { headers: { authorization: `Bearer ${demo.apiKey}` } })).json();
  const dataPlaneOrigin = new URL(detail.links.data).origin;
  await page.route(`${dataPlaneOrigin}/**`, (route) => route.abort('connectionrefused'));

  await page.goto(`/runs/${run.id}`);
  await expect(page.getByTestId('run-status')).toHaveText('succeeded', { timeout: 30_000 });
  await expect(page.getByTestId('data-plane-notice')).toContainText(
    `The data plane holding this run's data (region ${detail.region}) is not reachable from your browser.`,
  );
  await expect(page.getByTestId('node-double').getByTestId('node-status')).toHaveText('succeeded');
});

test("a workflow's webhook starts runs on the data plane, shown with the workflow graph", async ({ page, request }) => {
  const demo = await demoCredentials();
  await signIn(page, demo);
  const workflow = await createWorkflow(request, demo.apiKey, helloYaml(uniqueName('hooked')));

  await page.goto(`/workflows/${workflow.id}`);
  const url = page.getByTestId('webhook-url');
  await expect(url).toContainText('••••••••');
  await page.getByRole('button', { name: 'Show' }).click();
  const hook = (await url.textContent())!;
  expect(hook).toMatch(/\/v1\/hooks\/[A-Za-z0-9_-]{20,}$/);

  // The data plane learns of the hook through its command channel: retry until it listens.
  let runId = '';
  await expect(async () => {
    const res = await request.post(hook, { data: { n: 4 } });
    expect(res.status()).toBe(202);
    runId = ((await res.json()) as { runId: string }).runId;
  }).toPass({ timeout: 30_000 });

  // The data plane started the run; the control plane hears of it from its events shortly after.
  await expect(async () => {
    const known = await request.get(`/api/v1/runs/${runId}`, { headers: { authorization: `Bearer ${demo.apiKey}` } });
    expect(known.status()).toBe(200);
    expect(((await known.json()) as { trigger: string }).trigger).toBe('webhook');
  }).toPass({ timeout: 30_000 });
  await page.goto(`/runs/${runId}`);
  await expect(page.getByTestId('run-status')).toHaveText('succeeded', { timeout: 30_000 });
  const graph = page.getByTestId('run-graph');
  await expect(graph.locator('[data-testid="graph-node"][data-node-id="double"]')).toHaveAttribute('data-status', 'succeeded');
  await expect(graph.locator('[data-testid="graph-node"][data-node-id="inc"]')).toHaveAttribute('data-status', 'succeeded');
});
