import { expect, type APIRequestContext, type Page } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export interface DemoTenant {
  slug: string;
  email: string;
  password: string;
  apiKey: string;
}

export interface DemoCredentials {
  email: string;
  password: string;
  apiKey: string;
  consoleUrl: string;
  /** Every demo tenant `npm start` seeded (acme, then globex); the top-level fields are the first's. */
  tenants?: DemoTenant[];
}

/** The demo tenant `npm start` seeded; it writes demo.json once the platform is ready. */
export async function demoCredentials(timeoutMs = 60_000): Promise<DemoCredentials> {
  const file = path.join(process.env.ORVANTA_HOME ?? path.resolve(import.meta.dirname, '../.orvanta'), 'demo.json');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const demo = JSON.parse(await readFile(file, 'utf8')) as DemoCredentials;
      if (demo.email && demo.password && demo.apiKey) return demo;
    } catch {
      // Not written yet (or half written).
    }
    if (Date.now() > deadline) throw new Error(`${file} did not appear within ${timeoutMs / 1000} s: did npm start finish?`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A name no other test (or retry) uses: workflow names are unique per tenant. */
export const uniqueName = (base: string) => `${base}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

/** The demo tenant with this slug (`acme`, `globex`), from demo.json. */
export async function demoTenant(slug: string): Promise<DemoTenant> {
  const demo = await demoCredentials();
  const tenant = demo.tenants?.find((t) => t.slug === slug);
  if (!tenant) throw new Error(`demo.json has no tenant ${slug} (it has ${demo.tenants?.map((t) => t.slug).join(', ') || 'none'})`);
  return tenant;
}

/** An address no other test (or run) uses, since accounts are unique per email. */
export const uniqueEmail = (local: string, domain = 'e2e.test') => `${local}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}@${domain}`;

/** A password the console accepts (12+ characters). */
export const newPassword = () => `pw-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;

export const bearer = (apiKey: string) => ({ authorization: `Bearer ${apiKey}` });

/** Answers every window.confirm of destructive buttons with OK. */
export function acceptDialogs(page: Page) {
  page.on('dialog', (dialog) => void dialog.accept());
}

export interface NewOrganization {
  name: string;
  email: string;
  password: string;
  organization: string;
}

/** Signs up on /signup: a new person owning a new organization, signed in on /runs. */
export async function signUp(page: Page, org: NewOrganization) {
  await page.goto('/signup');
  await page.getByLabel('Your name').fill(org.name);
  await page.getByLabel('Email').fill(org.email);
  await page.getByLabel('Password').fill(org.password);
  await page.getByLabel('Organization name').fill(org.organization);
  await page.getByRole('button', { name: 'Create organization' }).click();
  await expect(page).toHaveURL(/\/runs$/);
  await expect(page.getByTestId('user-email')).toHaveText(org.email);
  await expect(page.getByTestId('tenant-name')).toHaveText(org.organization);
  await expect(page.getByTestId('tenant-role')).toHaveText('owner');
}

/**
 * The link to `pathPrefix` (e.g. `/invite/`) in the newest dev-outbox mail to `to`, read on
 * /dev/mail as a person would. The page polls, so a mail sent a moment ago shows up.
 */
export async function mailLink(page: Page, to: string, pathPrefix: string): Promise<string> {
  await page.goto('/dev/mail');
  const message = page.locator(`[data-testid="dev-mail-message"][data-to="${to}"]`).first();
  const link = message.getByTestId('dev-mail-text').locator(`a[href*="${pathPrefix}"]`).first();
  await expect(link).toBeVisible();
  const href = await link.getAttribute('href');
  if (!href) throw new Error(`the mail to ${to} has no ${pathPrefix} link`);
  return href;
}

/** The main navigation's link to a console section (by its exact name). */
export const navLink = (page: Page, name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

export async function signIn(page: Page, demo: Pick<DemoCredentials, 'email' | 'password'>) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(demo.email);
  await page.getByLabel('Password').fill(demo.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/runs$/);
  await expect(page.getByTestId('user-email')).toHaveText(demo.email);
}

export async function createWorkflow(request: APIRequestContext, apiKey: string, yaml: string): Promise<{ id: string; name: string }> {
  const response = await request.post('/api/v1/workflows', { headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/yaml' }, data: yaml });
  expect(response.status(), await response.text()).toBe(201);
  return (await response.json()) as { id: string; name: string };
}

export async function startRun(request: APIRequestContext, apiKey: string, workflowId: string, input: unknown): Promise<{ id: string; status: string }> {
  const response = await request.post(`/api/v1/workflows/${workflowId}/runs`, { headers: { authorization: `Bearer ${apiKey}` }, data: { input } });
  expect(response.status(), await response.text()).toBe(202);
  return (await response.json()) as { id: string; status: string };
}
