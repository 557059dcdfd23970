import { expect, test } from '@playwright/test';
import path from 'node:path';
import { acceptDialogs, bearer, createWorkflow, demoCredentials, signIn, uniqueName } from './support';
import { helloYaml } from '../test/support/http';


/**
 * A dedicated region from the console: requested, provisioned by the local driver (a new
 * database, Redis key space and data-plane process on this machine), ready; a workflow
 * pinned to it runs there and its data comes from that data plane; then it is decommissioned.
 * The local driver needs a real Postgres server (TEST_DATABASE_URL): with embedded PGlite
 * the console says dedicated regions cannot be provisioned, and this test checks that instead.
 */
test('request a dedicated region, pin a workflow to it, run it and read its data from it', async ({ page, request }) => {
  test.setTimeout(300_000);
  const demo = await demoCredentials();
  acceptDialogs(page);
  await signIn(page, demo);

  await page.goto('/data-planes');
  await expect(page.getByRole('heading', { name: 'Dedicated regions' })).toBeVisible();
  await expect(page.getByTestId('data-planes-table')).toBeVisible();
  if (!process.env.TEST_DATABASE_URL) {
    await expect(page.getByTestId('provisioner-unavailable')).toContainText('real Postgres server');
    return;
  }

  await page.getByTestId('dedicated-location').selectOption('eu-local');
  await page.getByTestId('dedicated-size').selectOption('small');
  await page.getByTestId('dedicated-submit').click();
  const region = page.getByTestId('dedicated-region').first();
  await expect(region.getByTestId('dedicated-steps')).toContainText('requested');
  // Each step shows up as the state machine goes; the data plane enrolls itself.
  await expect(region.getByTestId('dedicated-state')).toHaveText('ready', { timeout: 180_000 });
  await expect(region.getByTestId('dedicated-steps')).toContainText('local.process');
  await expect(region.getByTestId('dedicated-steps')).toContainText('enrolling');
  const dataPlaneId = (await region.getByTestId('dedicated-data-plane').textContent())!.trim();
  const regionId = await region.getAttribute('data-id');
  await expect(page.locator(`[data-testid="data-plane-row"][data-id="${dataPlaneId}"]`)).toContainText('connected', { timeout: 30_000 });
  await page.screenshot({ path: path.join(test.info().project.outputDir, 'dedicated-region-ready.png'), fullPage: true });

  // Pin a workflow to it from the deploy form.
  const workflow = await createWorkflow(request, demo.apiKey, helloYaml(uniqueName('dedicated')));
  await page.goto(`/workflows/${workflow.id}`);
  await page.getByTestId('deploy-environment').selectOption('development');
  await page.getByTestId('deploy-data-plane').selectOption(dataPlaneId);
  await page.getByTestId('deploy-submit').click();
  await expect(page.getByTestId('deploy-result')).toHaveText('Deployed v1 to development.');

  // Run it there from the console; the run page reads its data from that data plane.
  await page.getByTestId('start-run-environment').selectOption('development');
  await page.getByTestId('run-input-editor').fill('{"n": 20}');
  const plane = (await (await request.get('/api/v1/data-planes', { headers: bearer(demo.apiKey) })).json()).data.find((d: { id: string }) => d.id === dataPlaneId);
  const dataRead = page.waitForResponse((r) => r.url().startsWith(plane.publicUrl) && r.status() === 200, { timeout: 60_000 });
  await page.getByTestId('start-run').click();
  await expect(page).toHaveURL(/\/runs\/run_/);
  await expect(page.getByTestId('run-status')).toHaveText('succeeded', { timeout: 60_000 });
  await expect(async () => expect(JSON.parse((await page.getByTestId('run-output').textContent()) ?? 'null')).toEqual({ n: 41, from: 'inc' })).toPass({ timeout: 15_000 });
  await dataRead;
  const runId = page.url().split('/').pop()!;
  const run = await (await request.get(`/api/v1/runs/${runId}`, { headers: bearer(demo.apiKey) })).json();
  expect(run.dataPlaneId).toBe(dataPlaneId);
  expect(new URL(run.links.data).origin).toBe(new URL(plane.publicUrl).origin);
  await page.screenshot({ path: path.join(test.info().project.outputDir, 'dedicated-region-run.png'), fullPage: true });

  // Decommission it: it drains, then its data plane is removed and revoked.
  await page.goto('/data-planes');
  const card = page.locator(`[data-testid="dedicated-region"][data-id="${regionId}"]`);
  await card.getByTestId('dedicated-decommission').click();
  await expect(card.getByTestId('dedicated-state')).toHaveText('decommissioned', { timeout: 120_000 });
  await expect(page.locator(`[data-testid="data-plane-row"][data-id="${dataPlaneId}"]`)).toContainText('revoked', { timeout: 30_000 });
});
