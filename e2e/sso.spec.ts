import { expect, test, type APIRequestContext, type BrowserContext, type Page } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { newPassword, navLink, signIn, uniqueEmail, uniqueName } from './support';

/**
 * Single sign-on in the browser against a real OpenID provider (oidc-provider, with its
 * development login and consent pages) started here: the owner sets it up on the settings
 * page, then a person from the SSO domain signs in at the provider and lands in the
 * organization with its default role.
 */
test.describe.configure({ mode: 'serial' });

const clientId = 'orvanta-e2e';
const clientSecret = randomBytes(24).toString('base64url');
const newOwner = () => ({ name: 'Sam Owner', email: uniqueEmail('owner'), password: newPassword(), organization: uniqueName('Umbrella') });
/** Unique per run and per retry or repeat: email domains and addresses are global, not per tenant. */
const uniqueDomain = (label: string) => `${label}-${Date.now().toString(36)}${randomBytes(3).toString('hex')}.test`;

// Chosen in beforeAll, so a retry or a repeat starts with a new organization, domain and person.
let ssoDomain = '';
let owner = newOwner();
let jane = { email: '', name: 'Jane Single' };

let idp: IdentityProvider | undefined;
let issuer = '';
let redirectUri = '';

interface IdentityProvider {
  issuer: string;
  close(): Promise<void>;
}

/**
 * A real OpenID provider on 127.0.0.1 (a random port) with one confidential client for the
 * console's callback. Its development login form accepts any login, which becomes the
 * account id and, here, the email. `idTokenClaims: false` is oidc-provider's default (OIDC
 * Core 5.4: with an access token issued, scope claims such as email come from userinfo, the
 * ID token has `sub` only); `true` puts them in the ID token too, as Google, Entra ID and
 * Okta do.
 */
async function startIdentityProvider(callback: string, { idTokenClaims }: { idTokenClaims: boolean }): Promise<IdentityProvider> {
  // The issuer names its own port: listen first, then put the provider behind the server.
  let handle: RequestListener = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(url, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [callback],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id, email: id, email_verified: true, name: id === jane.email ? jane.name : id.split('@')[0] }) }),
    conformIdTokenClaims: !idTokenClaims,
    features: { devInteractions: { enabled: true } },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AuthorizationCode: 60, AccessToken: 600, IdToken: 600 },
  });
  handle = provider.callback();
  return {
    issuer: url,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A new organization through the console's sign-up API; its slug names the SSO callback. */
async function signUpOrganization(request: APIRequestContext, org: typeof owner): Promise<string> {
  const response = await request.post('/api/account/signup', { data: org });
  expect(response.status(), await response.text()).toBe(201);
  return ((await response.json()) as { tenant: { slug: string } }).tenant.slug;
}

test.beforeAll(async ({ playwright }, testInfo) => {
  const baseURL = testInfo.project.use.baseURL!;
  ssoDomain = uniqueDomain('sso');
  owner = newOwner();
  jane = { email: `jane@${ssoDomain}`, name: 'Jane Single' };
  const api = await playwright.request.newContext({ baseURL });
  try {
    const slug = await signUpOrganization(api, owner);
    redirectUri = new URL(`/api/auth/callback/sso-${slug}`, baseURL).toString();
  } finally {
    await api.dispose();
  }
  // Email and name in the ID token, as most hosted providers do (the last test covers a
  // provider that keeps them for userinfo).
  idp = await startIdentityProvider(redirectUri, { idTokenClaims: true });
  issuer = idp.issuer;
});

test.afterAll(async () => {
  await idp?.close();
});

/** The provider's pages import a web font; nothing here may wait on the internet. */
async function offline(context: BrowserContext) {
  await context.route(/^https:\/\/fonts\.(googleapis|gstatic)\.com\//, (route) => route.abort());
}

/** Fills the settings page's single sign-on form as its owner and saves it. */
async function configureSso(page: Page, settings: { issuer: string; domain: string; defaultRole: string; callback: string }) {
  await navLink(page, 'Settings').click();
  await expect(page).toHaveURL(/\/settings\/sso$/);
  // What to register at the provider is what we registered.
  await expect(page.getByTestId('sso-redirect-uri')).toHaveText(settings.callback);

  const form = page.getByTestId('sso-form');
  await form.getByLabel('Issuer URL').fill(settings.issuer);
  await form.getByLabel('Client ID').fill(clientId);
  await form.getByLabel('Client secret').fill(clientSecret);
  await form.getByLabel('Email domains').fill(settings.domain);
  await form.getByLabel('Default role').selectOption(settings.defaultRole);
  await form.getByLabel('Enabled').check();
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form.getByTestId('sso-saved')).toHaveText('Single sign-on settings saved.');
  await expect(form.getByTestId('sso-error')).toHaveCount(0);
  await expect(page.getByTestId('sso-redirect-uri')).toHaveText(settings.callback);
}

test('the owner sets up single sign-on on the settings page', async ({ page }) => {
  await signIn(page, owner);
  await configureSso(page, { issuer, domain: ssoDomain, defaultRole: 'operator', callback: redirectUri });

  // Saved as entered; the secret is kept but never shown again.
  const saved = await page.request.get('/api/v1/sso');
  expect(saved.status(), await saved.text()).toBe(200);
  expect(await saved.json()).toMatchObject({ enabled: true, issuer, clientId, hasClientSecret: true, domains: [ssoDomain], defaultRole: 'operator', redirectUri });
  expect(await saved.text()).not.toContain(clientSecret);
  await page.reload();
  const form = page.getByTestId('sso-form');
  await expect(form.getByLabel('Issuer URL')).toHaveValue(issuer);
  await expect(form.getByLabel('Client secret')).toHaveValue('');
  await expect(form.getByLabel('Default role')).toHaveValue('operator');
  await expect(form.getByLabel('Enabled')).toBeChecked();
});

/** Signs in at the oidc-provider development pages: any login, then consent. */
async function signInAtProvider(page: Page, providerIssuer: string, login: string) {
  await expect(page).toHaveURL((url) => url.origin === providerIssuer && url.pathname.startsWith('/interaction/'));
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password will do');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await expect(page.getByRole('heading', { name: 'Authorize' })).toBeVisible();
  await page.getByRole('button', { name: 'Continue' }).click();
}

/** From the console's sign-in form, through the organization's identity provider and back. */
async function signInWithSso(page: Page, email: string, providerIssuer: string, organization: string) {
  await offline(page.context());
  await page.goto('/login');
  // Hold the console's hand-over to the provider until the note has been seen: it shows only until the browser leaves.
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route(/\/api\/auth\/signin\/sso-/, async (route) => {
    await held;
    await route.continue();
  });
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('sso-note')).toContainText(organization);
  await expect(page.getByTestId('login-error')).toHaveCount(0);
  release();
  await signInAtProvider(page, providerIssuer, email);
  await expect(page).toHaveURL((url) => url.pathname === '/runs' && url.origin === new URL(redirectUri).origin);
}

test('a person at the SSO domain signs in at the identity provider and joins with the default role', async ({ page, browser }) => {
  test.slow(); // Two browsers and a round trip through the provider.

  await test.step('the sign-in form sends the address to its identity provider, which sends her back', async () => {
    await signInWithSso(page, jane.email, issuer, owner.organization);
  });

  await test.step('back on the console as a new operator of the organization', async () => {
    await expect(page.getByTestId('user-email')).toHaveText(jane.email);
    await expect(page.getByTestId('tenant-name')).toHaveText(owner.organization);
    await expect(page.getByTestId('tenant-role')).toHaveText('operator');
    await expect(navLink(page, 'Runs')).toBeVisible();
    await expect(navLink(page, 'Settings')).toHaveCount(0);
  });

  const ownerContext = await browser.newContext();
  try {
    const ownerPage = await ownerContext.newPage();
    await test.step('the owner sees her among the members, as operator', async () => {
      await signIn(ownerPage, owner);
      await navLink(ownerPage, 'Members').click();
      const row = ownerPage.locator(`[data-testid="member-row"][data-email="${jane.email}"]`);
      await expect(row).toContainText(jane.name);
      await expect(row.getByLabel(`Role for ${jane.email}`, { exact: true })).toHaveValue('operator');
    });

    await test.step('the audit trail says she joined through SSO', async () => {
      const response = await ownerPage.request.get('/api/v1/audit?action=member.added');
      expect(response.status(), await response.text()).toBe(200);
      const { data } = (await response.json()) as { data: { action: string; actor: { type: string }; after: Record<string, unknown> | null }[] };
      const joined = data.filter((e) => e.after?.email === jane.email);
      expect(joined).toHaveLength(1);
      expect(joined[0]).toMatchObject({ action: 'member.added', actor: { type: 'user' }, after: { email: jane.email, role: 'operator', via: 'sso' } });
    });
  } finally {
    await ownerContext.close();
  }
});

test('SSO also works with a provider that returns the email from userinfo only (oidc-provider defaults)', async ({ page, browser, request }) => {
  test.slow();
  const org = { ...newOwner(), name: 'Una Owner', organization: uniqueName('Stark') };
  const domain = uniqueDomain('sso-userinfo');
  const person = `lee@${domain}`;
  const callback = new URL(`/api/auth/callback/sso-${await signUpOrganization(request, org)}`, redirectUri).toString();
  const conforming = await startIdentityProvider(callback, { idTokenClaims: false });
  try {
    await signIn(page, org);
    await configureSso(page, { issuer: conforming.issuer, domain, defaultRole: 'viewer', callback });

    const context = await browser.newContext();
    try {
      const personPage = await context.newPage();
      await signInWithSso(personPage, person, conforming.issuer, org.organization);
      await expect(personPage.getByTestId('user-email')).toHaveText(person);
      await expect(personPage.getByTestId('tenant-name')).toHaveText(org.organization);
      await expect(personPage.getByTestId('tenant-role')).toHaveText('viewer');
    } finally {
      await context.close();
    }
  } finally {
    await conforming.close();
  }
});

test('an address at another domain still signs in with a password', async ({ page, request }) => {
  const stranger = uniqueEmail('someone', `not-${ssoDomain}`);
  const lookup = await request.get(`/api/account/sso?email=${encodeURIComponent(stranger)}`);
  expect(await lookup.json()).toEqual({ sso: false });

  await page.goto('/login');
  await page.getByLabel('Email').fill(stranger);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('login-error')).toHaveText('Enter your password.');
  await expect(page.getByTestId('sso-note')).toHaveCount(0);

  await page.getByLabel('Password').fill('not the right password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('login-error')).toHaveText('Invalid email or password');
  await expect(page.getByTestId('sso-note')).toHaveCount(0);
  await expect(page).toHaveURL(/\/login$/);
});
