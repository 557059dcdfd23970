import { expect, test } from '@playwright/test';
import path from 'node:path';
import { createWorkflow, demoCredentials, signIn, startRun, uniqueName } from './support';

/** A script that logs, computes for a while (the sandbox has no timers), then logs again. */
const slow = (name: string) => `name: ${name}
nodes:
  - id: talk
    type: script
    language: javascript
    timeoutMs: 60000
    code: |
      export default () => {
        console.log('warming up');
        const until = Date.now() + 12000;
        while (Date.now() < until);
        console.log('all done');
        return { ok: true };
      }
`;

test('a running node’s log lines appear in its card while it runs, then its recorded logs', async ({ page, request }) => {
  const demo = await demoCredentials();
  await signIn(page, demo);

  const workflow = await createWorkflow(request, demo.apiKey, slow(uniqueName('live-logs')));
  const run = await startRun(request, demo.apiKey, workflow.id, {});
  await page.goto(`/runs/${run.id}`);

  const card = page.getByTestId('node-talk');
  const logs = card.getByTestId('node-logs');
  // Streamed from the data plane while the node still runs: the recorded result has no logs yet.
  await expect(logs).toContainText('warming up', { timeout: 10_000 });
  await expect(logs).toHaveAttribute('data-live', 'true');
  await expect(logs).not.toContainText('all done');
  await expect(page.getByTestId('run-view')).toHaveAttribute('data-log-stream', 'open');
  await page.screenshot({ path: path.join(test.info().project.outputDir, 'live-logs.png'), fullPage: true });

  // Once the node is recorded its card shows the result's logs, every line.
  await expect(card.getByTestId('node-status')).toHaveText('succeeded', { timeout: 40_000 });
  await expect(logs).toContainText('all done');
  await expect(logs).not.toHaveAttribute('data-live', 'true');
  await expect(page.getByTestId('data-plane-notice')).toHaveCount(0);
});
