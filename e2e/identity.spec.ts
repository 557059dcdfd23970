import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { acceptDialogs, bearer, createWorkflow, demoTenant, mailLink, navLink, newPassword, signIn, signUp, uniqueEmail, uniqueName } from './support';

/**
 * Tenants, invitations and roles, as people do it: an owner signs up and invites a developer
 * (context A), who accepts from the emailed link in a browser of their own (context B); the
 * owner then demotes and finally removes them, and each change shows in B on its next load
 * and in what B's API key may still do.
 */

const listWorkflows = (request: APIRequestContext, apiKey: string) => request.get('/api/v1/workflows', { headers: bearer(apiKey) });

const echoWorkflow = (name: string) => `name: ${name}
nodes:
  - id: echo
    type: script
    language: javascript
    code: "export default (input) => input"
`;

/** Waits for the console's own call to `method` a member and checks its answer. */
function memberCall(page: Page, method: 'PATCH' | 'DELETE') {
  return page.waitForResponse((r) => r.request().method() === method && /\/api\/v1\/members\/[^/?]+$/.test(new URL(r.url()).pathname));
}

test('an owner invites a developer, demotes them to viewer, then removes them', async ({ page, browser, request }) => {
  test.slow(); // Two browsers, a dozen page loads; the first load of each page may compile nothing but still takes a while on a small machine.
  acceptDialogs(page);

  const owner = { name: 'Olivia Owner', email: uniqueEmail('owner'), password: newPassword(), organization: uniqueName('Initech') };
  const invitee = { name: 'Dev Eloper', email: uniqueEmail('dev'), password: newPassword() };

  await test.step('sign up a new organization', async () => {
    await signUp(page, owner);
    await expect(navLink(page, 'Members')).toBeVisible();
  });

  let inviteLink = '';
  await test.step('invite a developer from /members and read the link in the dev outbox', async () => {
    await navLink(page, 'Members').click();
    await expect(page).toHaveURL(/\/members$/);
    const form = page.getByTestId('invite-form');
    await form.getByLabel('Email').fill(invitee.email);
    await form.getByLabel('Role').selectOption('developer');
    await form.getByRole('button', { name: 'Send invitation' }).click();
    await expect(form.getByTestId('invite-sent')).toContainText(invitee.email);
    await expect(page.locator(`[data-testid="invitation-row"][data-email="${invitee.email}"]`)).toContainText('developer');

    inviteLink = await mailLink(page, invitee.email, '/invite/');
    const mail = page.locator(`[data-testid="dev-mail-message"][data-to="${invitee.email}"]`).first();
    await expect(mail.getByTestId('dev-mail-subject')).toHaveText(`You're invited to ${owner.organization} on Orvanta`);
    expect(new URL(inviteLink).origin).toBe(new URL(page.url()).origin);
  });

  const contextB = await browser.newContext();
  const pageB = await contextB.newPage();
  let apiKey = '';
  try {
    await test.step('the invitee creates their account from the link and lands in the tenant as developer', async () => {
      await pageB.goto(inviteLink);
      const summary = pageB.getByTestId('invite-summary');
      await expect(summary.getByTestId('invite-tenant')).toHaveText(owner.organization);
      await expect(summary.getByTestId('invite-role')).toHaveText('developer');
      await expect(summary.getByTestId('invite-email')).toHaveText(invitee.email);
      await pageB.getByLabel('Your name').fill(invitee.name);
      await pageB.getByLabel('Password').fill(invitee.password);
      await pageB.getByTestId('invite-accept').click();

      await expect(pageB).toHaveURL(/\/runs$/);
      await expect(pageB.getByTestId('user-email')).toHaveText(invitee.email);
      await expect(pageB.getByTestId('tenant-name')).toHaveText(owner.organization);
      await expect(pageB.getByTestId('tenant-role')).toHaveText('developer');
      // One organization: no tenant switcher.
      await expect(pageB.getByLabel('Tenant', { exact: true })).toHaveCount(0);
    });

    await test.step('a developer sees members but cannot invite', async () => {
      await expect(navLink(pageB, 'Members')).toBeVisible();
      await navLink(pageB, 'Members').click();
      await expect(pageB).toHaveURL(/\/members$/);
      await expect(pageB.locator(`[data-testid="member-row"][data-email="${invitee.email}"]`)).toBeVisible();
      await expect(pageB.locator(`[data-testid="member-row"][data-email="${owner.email}"]`)).toBeVisible();
      await expect(pageB.getByTestId('invite-form')).toHaveCount(0);
      // Nor change anyone's role or remove them.
      await expect(pageB.getByLabel(`Role for ${owner.email}`)).toHaveCount(0);
      await expect(pageB.getByRole('button', { name: `Remove ${owner.email}` })).toHaveCount(0);
    });

    await test.step('a developer creates an API key scoped to workflows.read, and it works', async () => {
      await navLink(pageB, 'API keys').click();
      await expect(pageB).toHaveURL(/\/api-keys$/);
      const form = pageB.getByTestId('api-key-form');
      await form.getByLabel('Name').fill('e2e reader');
      await form.getByLabel('workflows.read', { exact: true }).check();
      await form.getByRole('button', { name: 'Create API key' }).click();
      const secret = pageB.getByTestId('api-key-secret');
      await expect(secret).toHaveText(/^\s*orv_\S+\s*$/);
      apiKey = ((await secret.textContent()) ?? '').trim();

      const read = await listWorkflows(request, apiKey);
      expect(read.status(), await read.text()).toBe(200);
      // The key can do only what its scope says, though its creator may write workflows.
      const write = await request.post('/api/v1/workflows', { headers: { ...bearer(apiKey), 'content-type': 'application/yaml' }, data: echoWorkflow(uniqueName('nope')) });
      expect(write.status(), await write.text()).toBe(403);
    });

    await test.step('the owner changes them to viewer; their next page load shows it', async () => {
      await page.goto('/members');
      // The accepted invitation is no longer pending; its person is a member.
      await expect(page.locator(`[data-testid="member-row"][data-email="${invitee.email}"]`)).toContainText(invitee.name);
      await expect(page.getByTestId('invitations-empty')).toBeVisible();
      const select = page.getByLabel(`Role for ${invitee.email}`, { exact: true });
      await expect(select).toHaveValue('developer');
      const patched = memberCall(page, 'PATCH');
      await select.selectOption('viewer');
      expect((await patched).status()).toBe(200);
      await expect(select).toHaveValue('viewer');

      await pageB.reload();
      await expect(pageB.getByTestId('tenant-role')).toHaveText('viewer');
      await expect(navLink(pageB, 'Members')).toBeVisible();
      await expect(navLink(pageB, 'API keys')).toHaveCount(0);
      await expect(pageB.getByTestId('no-access')).toContainText('api_keys.read');
      await expect(pageB.getByTestId('api-key-form')).toHaveCount(0);
    });

    await test.step('the owner removes them; their session ends and their key stops working', async () => {
      const row = page.locator(`[data-testid="member-row"][data-email="${invitee.email}"]`);
      const deleted = memberCall(page, 'DELETE');
      await page.getByRole('button', { name: `Remove ${invitee.email}`, exact: true }).click();
      expect((await deleted).status()).toBe(204);
      await expect(row).toHaveCount(0);
      await page.reload();
      await expect(page.locator(`[data-testid="member-row"][data-email="${owner.email}"]`)).toBeVisible();
      await expect(row).toHaveCount(0);

      await pageB.reload();
      await expect(pageB).toHaveURL(/\/login(\?|$)/);
      await expect(pageB.getByRole('button', { name: 'Sign in' })).toBeVisible();

      const refused = await listWorkflows(request, apiKey);
      expect(refused.status(), await refused.text()).toBe(401);
    });
  } finally {
    await contextB.close();
  }
});

test("one tenant's API key cannot see another tenant's workflow", async ({ page, request }) => {
  const [acme, globex] = await Promise.all([demoTenant('acme'), demoTenant('globex')]);
  const name = uniqueName('globex-only');
  const workflow = await createWorkflow(request, globex.apiKey, echoWorkflow(name));

  // The owner sees it; the other tenant gets the same 404 as for an id that does not exist.
  const own = await request.get(`/api/v1/workflows/${workflow.id}`, { headers: bearer(globex.apiKey) });
  expect(own.status(), await own.text()).toBe(200);
  const other = await request.get(`/api/v1/workflows/${workflow.id}`, { headers: bearer(acme.apiKey) });
  expect(other.status(), await other.text()).toBe(404);
  const listed = (await (await request.get('/api/v1/workflows?limit=100', { headers: bearer(acme.apiKey) })).json()) as { data: { id: string }[] };
  expect(listed.data.map((w) => w.id)).not.toContain(workflow.id);

  // And in the console: acme's owner opening globex's workflow gets an error, not its document.
  await signIn(page, acme);
  await expect(page.getByTestId('tenant-name')).toHaveText('Acme Corp');
  await page.goto(`/workflows/${workflow.id}`);
  await expect(page.locator('main').getByRole('alert')).toBeVisible();
  await expect(page.getByText(name)).toHaveCount(0);
  await expect(page.getByTestId('workflow-document')).toHaveCount(0);
});
