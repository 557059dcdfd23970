import { expect, test, type Locator, type Page } from '@playwright/test';
import path from 'node:path';
import { demoCredentials, signIn, uniqueName } from './support';

/** The canvas node with this workflow node id. */
const canvasNode = (page: Page, id: string) => page.getByTestId('editor-canvas').locator(`[data-testid="editor-node"][data-node-id="${id}"]`);

/** The text in the code view (CodeMirror renders only visible lines; these documents are short). */
async function codeText(page: Page): Promise<string> {
  return page.locator('.cm-content').evaluate((el) => (el as HTMLElement).innerText);
}

async function expectCode(page: Page, ...parts: string[]) {
  await expect(async () => {
    const text = await codeText(page);
    for (const part of parts) expect(text).toContain(part);
  }).toPass({ timeout: 10_000 });
}

/** Puts the cursor at the start of the document's first line (the `name:` line). */
async function cursorToStart(page: Page, content: Locator) {
  await content.click();
  await page.keyboard.press('ControlOrMeta+Home');
}

test('a workflow built in the visual editor round-trips through code, saves as versions and runs', async ({ page }) => {
  const demo = await demoCredentials();
  await signIn(page, demo);
  await page.setViewportSize({ width: 1280, height: 900 });
  const name = uniqueName('edited');

  await page.goto('/workflows');
  await page.getByRole('link', { name: 'New workflow' }).click();
  await expect(page).toHaveURL(/\/workflows\/new$/);
  await page.getByLabel('Workflow name').fill(name);

  // Two nodes from the palette; each new node is selected and its fields open beside the canvas.
  await page.getByRole('button', { name: 'Add a script node' }).click();
  await expect(canvasNode(page, 'script')).toBeVisible();
  const panel = page.getByTestId('node-panel');
  await expect(panel).toHaveAttribute('data-node-id', 'script');
  await panel.getByLabel('Code').fill('export default (input) => ({ n: input.n * 2 })');

  await page.getByRole('button', { name: 'Add a transform node' }).click();
  await expect(canvasNode(page, 'transform')).toBeVisible();
  await expect(panel).toHaveAttribute('data-node-id', 'transform');
  await panel.getByLabel('Expression (JSONata)').fill('{ "n": n + 1 }');
  await expect(page.getByTestId('issue-count')).toHaveText('Valid');

  // Connect them by dragging from the script's output handle to the transform's input handle.
  await canvasNode(page, 'script').locator('.react-flow__handle.source').dragTo(canvasNode(page, 'transform').locator('.react-flow__handle.target'));
  await expect(page.getByTestId('editor-canvas').locator('.react-flow__edge')).toHaveCount(1);

  // A field of the selected node: a timeout on the transform.
  await canvasNode(page, 'transform').click();
  await expect(panel).toHaveAttribute('data-node-id', 'transform');
  await panel.getByLabel('Timeout (ms)').fill('5000');

  // The code view shows the same document.
  await page.getByRole('tab', { name: 'Code' }).click();
  await expectCode(page, `name: ${name}`, 'type: script', 'n: input.n * 2', 'type: transform', 'timeoutMs: 5000', 'from: script', 'to: transform');

  // An error typed in the code is reported inline, at its line, as you type.
  const content = page.locator('.cm-content');
  await cursorToStart(page, content);
  await page.keyboard.press('End');
  await page.keyboard.insertText('\nbogus: 1');
  await expect(page.getByTestId('editor-issue-message')).toHaveText(['unknown key "bogus"']);
  await expect(page.locator('.cm-lintRange-error')).toHaveCount(1);
  await expect(page.getByTestId('editor-issue').getByRole('button')).toHaveText('2:1');
  for (let i = 0; i < '\nbogus: 1'.length; i++) await page.keyboard.press('Backspace');
  await expect(page.getByTestId('editor-issues')).toHaveCount(0);
  await expect(page.getByTestId('issue-count')).toHaveText('Valid');

  // A comment survives the trip to the visual view, and an edit made there.
  await cursorToStart(page, content);
  await page.keyboard.insertText('# Doubles, then adds one.\n');
  await expectCode(page, '# Doubles, then adds one.');
  await page.getByRole('tab', { name: 'Visual' }).click();
  await canvasNode(page, 'script').click();
  await panel.getByLabel('Name (optional)').fill('Double it');
  await expect(canvasNode(page, 'script')).toContainText('Double it');
  await page.getByRole('tab', { name: 'Code' }).click();
  await expectCode(page, '# Doubles, then adds one.', 'name: Double it', 'timeoutMs: 5000');
  expect((await codeText(page)).startsWith('# Doubles, then adds one.')).toBe(true);

  // Save: version 1 is created and the editor stays open on it.
  await page.getByRole('button', { name: 'Create workflow' }).click();
  await expect(page.getByTestId('save-status')).toHaveText('Saved v1');
  await expect(page).toHaveURL(/\/workflows\/[^/]+\/edit$/);
  const workflowId = page.url().split('/').at(-2)!;

  // A second save is a new version; the comment is still in the editor.
  await page.getByRole('tab', { name: 'Visual' }).click();
  await canvasNode(page, 'transform').click();
  await panel.getByLabel('Concurrency').fill('4');
  await page.getByRole('button', { name: 'Save new version' }).click();
  await expect(page.getByTestId('save-status')).toHaveText('Saved v2');
  await page.getByRole('tab', { name: 'Code' }).click();
  await expectCode(page, '# Doubles, then adds one.', 'concurrency: 4');

  await page.screenshot({ path: path.join(test.info().project.outputDir, 'editor-saved.png'), fullPage: true });

  // The workflow page shows the new version, and runs it.
  await page.getByTestId('saved-workflow-link').click();
  await expect(page).toHaveURL(new RegExp(`/workflows/${workflowId}$`));
  await expect(page.getByRole('heading', { level: 1 })).toContainText(name);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('v2');
  await expect(page.getByTestId('workflow-document')).toContainText('"concurrency": 4');
  await expect(page.getByTestId('edit-workflow')).toBeVisible();
  await page.getByTestId('run-input-editor').fill('{ "n": 20 }');
  await page.getByTestId('start-run').click();
  await expect(page).toHaveURL(/\/runs\/[^/]+$/);
  await expect(page.getByTestId('run-status')).toHaveText('succeeded', { timeout: 30_000 });
  await expect(async () => {
    expect(JSON.parse((await page.getByTestId('run-output').textContent()) ?? 'null')).toEqual({ n: 41 });
  }).toPass({ timeout: 15_000 });
});

test('the server answers a save with its validation problems, shown inline; Edit opens the saved version', async ({ page }) => {
  const demo = await demoCredentials();
  await signIn(page, demo);
  await page.goto('/workflows/new');
  await page.getByLabel('Workflow name').fill(uniqueName('invalid'));
  await page.getByRole('button', { name: 'Add a subworkflow node' }).click();
  // The new subworkflow node has no workflow yet: the canvas marks it with the problem.
  await expect(canvasNode(page, 'subworkflow')).toHaveAttribute('data-invalid', 'true');
  await expect(canvasNode(page, 'subworkflow').getByTestId('editor-node-issue')).toHaveText('workflow must not be empty');

  await page.getByRole('button', { name: 'Create workflow' }).click();
  const problem = page.getByTestId('save-problem');
  await expect(problem).toContainText('line 5, column 15: nodes[0].workflow: workflow must not be empty');

  await page.getByTestId('node-panel').getByLabel('Workflow to run (name)').fill('some-other-workflow');
  await expect(problem).toHaveCount(0);
  await expect(canvasNode(page, 'subworkflow')).toHaveAttribute('data-invalid', 'false');
  await page.getByRole('button', { name: 'Create workflow' }).click();
  await expect(page.getByTestId('save-status')).toHaveText('Saved v1');

  // Edit from the workflow page opens the stored document.
  await page.getByTestId('saved-workflow-link').click();
  await page.getByTestId('edit-workflow').click();
  await expect(page).toHaveURL(/\/edit$/);
  await expect(canvasNode(page, 'subworkflow')).toBeVisible();
  await page.getByRole('tab', { name: 'Code' }).click();
  await expectCode(page, 'workflow: some-other-workflow');
});
