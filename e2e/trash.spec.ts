import { expect, test } from '@playwright/test';
import path from 'node:path';
import { createWorkflow, demoCredentials, signIn, startRun, uniqueName } from './support';

/** Charges a card; without one it fails for good (one attempt), so the message parks. */
const charge = (name: string) => `name: ${name}
nodes:
  - id: charge
    type: script
    language: javascript
    retry: { attempts: 1 }
    code: "export default (x) => { if (!x.card) throw new Error('card missing'); return { charged: x.card } }"
`;

test('a parked message is inspected, its payload edited and approved from the Trash, and the run resumes to success', async ({ page, request }) => {
  const demo = await demoCredentials();
  await signIn(page, demo);
  const workflow = await createWorkflow(request, demo.apiKey, charge(uniqueName('charge')));
  const run = await startRun(request, demo.apiKey, workflow.id, { order: 42 });
  const other = await startRun(request, demo.apiKey, workflow.id, { order: 43 });

  await page.goto(`/runs/${run.id}`);
  await expect(page.getByTestId('run-status')).toHaveText('failed', { timeout: 30_000 });
  await page.getByRole('link', { name: 'Trash' }).first().click();
  await expect(page).toHaveURL(/\/trash$/);

  const row = page.locator('[data-testid="trash-row"]', { has: page.getByRole('link', { name: run.id }) });
  await expect(row).toBeVisible({ timeout: 30_000 });
  await expect(row).toContainText('ScriptError');
  await row.getByTestId('trash-open').click();
  const panel = page.getByTestId('trash-panel');
  await expect(panel.getByTestId('trash-error').getByTestId('error-message')).toHaveText('card missing');
  const payload = panel.getByTestId('trash-payload');
  await expect(payload).toHaveValue(/"order": 42/);

  // Invalid JSON is caught before anything is sent.
  await payload.fill('{ "order": 42, ');
  await panel.getByTestId('trash-approve').click();
  await expect(panel.getByRole('alert')).toContainText('not valid JSON');
  await payload.fill('{ "order": 42, "card": "visa-4242" }');
  await expect(panel.getByTestId('trash-approve')).toHaveText('Approve with edited payload');
  await page.screenshot({ path: path.join(test.info().project.outputDir, 'trash-item.png'), fullPage: true });
  await panel.getByTestId('trash-approve').click();
  await expect(row.locator('[data-status]')).toHaveText('approved');

  await page.goto(`/runs/${run.id}`);
  await expect(page.getByTestId('run-status')).toHaveText('succeeded', { timeout: 30_000 });
  await expect(page.getByTestId('run-output')).toContainText('visa-4242');

  // The other run's item is rejected in bulk, after confirming.
  await page.goto('/trash');
  const otherRow = page.locator('[data-testid="trash-row"]', { has: page.getByRole('link', { name: other.id }) });
  await expect(otherRow).toBeVisible({ timeout: 30_000 });
  await otherRow.getByRole('checkbox').check();
  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByTestId('trash-reject-selected').click();
  await expect(page.getByTestId('trash-notice')).toHaveText('Rejected 1 item.');
  await expect(otherRow).toHaveCount(0);
  const res = await request.get(`/api/v1/runs/${other.id}`, { headers: { authorization: `Bearer ${demo.apiKey}` } });
  expect((await res.json()).status).toBe('failed');
});
