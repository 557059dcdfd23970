import { expect, type APIRequestContext, type Page } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export interface DemoCredentials {
  email: string;
  password: string;
  apiKey: string;
  consoleUrl: string;
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

export async function signIn(page: Page, demo: DemoCredentials) {
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
