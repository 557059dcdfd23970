import type { Server } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passwordSignIn, SignInError } from '../../apps/console/src/server/account/service.ts';
import { ssoClientFor, ssoSignIn } from '../../apps/console/src/server/sso/service.ts';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.ts';
import { apiClient } from '../support/http.ts';

/**
 * Single sign-on settings and routing against a real OpenID provider (oidc-provider) started
 * here. The browser round trip (login at the provider, callback, session) is in e2e/sso.spec.ts.
 */

let cp: TestControlPlane;
let acme: Awaited<ReturnType<TestControlPlane['tenant']>>;
let globex: Awaited<ReturnType<TestControlPlane['tenant']>>;
let server: Server;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}
let issuer: string;
const SECRET = 'client-secret-never-shown-7f3a';

beforeAll(async () => {
  cp = await startTestControlPlane();
  acme = await cp.tenant('acme');
  globex = await cp.tenant('globex');
  // The issuer names its own port, so pick a free one first.
  const port = await freePort();
  issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{ client_id: 'orvanta', client_secret: SECRET, redirect_uris: [`${cp.url}/api/auth/callback/sso-acme`], grant_types: ['authorization_code'], response_types: ['code'] }],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => ({ sub: id, email: id, email_verified: true }) }),
  });
  server = await new Promise<Server>((resolve) => {
    const s = provider.listen(port, '127.0.0.1', () => resolve(s)) as Server;
  });
}, 60_000);

afterAll(async () => {
  server?.close();
  await cp?.stop();
});

const settings = (overrides: Record<string, unknown> = {}) => ({ issuer, clientId: 'orvanta', clientSecret: SECRET, domains: ['acme-sso.test'], defaultRole: 'operator', ...overrides });

describe('SSO settings', () => {
  it('checks the issuer against its discovery document and never returns the secret', async () => {
    const api = apiClient(cp.url, acme.apiKey);
    const saved = await api('PUT', '/api/v1/sso', settings());
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(saved.body).toMatchObject({ enabled: true, issuer, clientId: 'orvanta', hasClientSecret: true, domains: ['acme-sso.test'], defaultRole: 'operator', providerId: 'sso-acme' });
    expect(saved.body.redirectUri).toBe(`${cp.url}/api/auth/callback/sso-acme`);
    const read = await api('GET', '/api/v1/sso');
    expect(JSON.stringify(read.body)).not.toContain(SECRET);

    // Encrypted at rest, readable by the sign-in flow only.
    const row = await cp.db.tenantSso.findUniqueOrThrow({ where: { tenantId: acme.tenantId } });
    expect(row.clientSecretEnc).not.toContain(SECRET);
    expect((await ssoClientFor(cp.db, 'acme', cp.deps.config.AUTH_SECRET))?.clientSecret).toBe(SECRET);
    // And kept out of the audit trail.
    const events = await cp.db.auditEvent.findMany({ where: { tenantId: acme.tenantId, action: { startsWith: 'sso.' } } });
    expect(events.length).toBeGreaterThan(0);
    expect(JSON.stringify(events, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).not.toContain(SECRET);

    // Saving again without a secret keeps the old one.
    expect((await api('PUT', '/api/v1/sso', settings({ clientSecret: undefined, defaultRole: 'viewer' }))).body.hasClientSecret).toBe(true);
    expect((await ssoClientFor(cp.db, 'acme', cp.deps.config.AUTH_SECRET))?.clientSecret).toBe(SECRET);
    await api('PUT', '/api/v1/sso', settings());
  });

  it('refuses an issuer that is not an OpenID provider, or calls itself something else', async () => {
    const api = apiClient(cp.url, acme.apiKey);
    const unreachable = await api('PUT', '/api/v1/sso', settings({ issuer: 'http://127.0.0.1:9/nothing' }));
    expect(unreachable.status).toBe(422);
    expect(unreachable.body.errors[0].path).toBe('issuer');
    const other = await api('PUT', '/api/v1/sso', settings({ issuer: `${issuer}/` }));
    expect([200, 422]).toContain(other.status); // a trailing slash is the same issuer, or named as a mismatch
    const plain = await api('PUT', '/api/v1/sso', settings({ issuer: 'http://idp.example.com' }));
    expect(plain.status).toBe(422);
    expect(plain.body.detail).toMatch(/https/);
    await api('PUT', '/api/v1/sso', settings());
  });

  it("will not route a domain that already signs in through another tenant's SSO", async () => {
    const res = await apiClient(cp.url, globex.apiKey)('PUT', '/api/v1/sso', settings({ domains: ['globex-sso.test', 'acme-sso.test'] }));
    expect(res.status).toBe(409);
    expect(res.body.detail).toContain('acme-sso.test');
    expect(await cp.db.tenantSso.findUnique({ where: { tenantId: globex.tenantId } })).toBeNull();
  });
});

describe('SSO routing and sign-in', () => {
  it('routes addresses of the domain to the tenant, and only those', async () => {
    const account = apiClient(cp.url);
    expect((await account('GET', '/api/account/sso?email=Jane@ACME-SSO.test')).body).toEqual({ sso: true, providerId: 'sso-acme', tenant: { slug: 'acme', name: 'acme' } });
    expect((await account('GET', '/api/account/sso?email=jane@elsewhere.test')).body).toEqual({ sso: false });
  });

  it('makes a first-time SSO user a member with the default role, once', async () => {
    const first = await ssoSignIn(cp.db, 'acme', { email: 'jane@acme-sso.test', email_verified: true, name: 'Jane' }, {});
    const again = await ssoSignIn(cp.db, 'acme', { email: 'jane@acme-sso.test', email_verified: true }, {});
    expect(again.user.id).toBe(first.user.id);
    const memberships = await cp.db.membership.findMany({ where: { userId: first.user.id } });
    expect(memberships).toEqual([expect.objectContaining({ tenantId: acme.tenantId, role: 'operator' })]);
    const added = await cp.db.auditEvent.findMany({ where: { tenantId: acme.tenantId, action: 'member.added', targetId: memberships[0]!.id } });
    expect(added).toHaveLength(1);
    expect(added[0]!.after).toMatchObject({ via: 'sso', role: 'operator' });
  });

  it('refuses an unverified email, or one outside the tenant’s domains', async () => {
    await expect(ssoSignIn(cp.db, 'acme', { email: 'bob@acme-sso.test', email_verified: false }, {})).rejects.toThrow('sso_email_unverified');
    await expect(ssoSignIn(cp.db, 'acme', { name: 'No Email' }, {})).rejects.toThrow('sso_email_missing');
    await expect(ssoSignIn(cp.db, 'acme', { email: 'bob@evil.test', email_verified: true }, {})).rejects.toThrow('sso_domain_mismatch');
    expect(await cp.db.user.findUnique({ where: { email: 'bob@evil.test' } })).toBeNull();
  });

  it('sends people of an SSO domain to their provider instead of a password, except owners', async () => {
    const { userId } = await cp.member(acme.tenantId, 'pat@acme-sso.test', 'developer');
    const refusal = await passwordSignIn(cp.db, { email: 'pat@acme-sso.test', password: 'correct horse battery' }, {}).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(SignInError);
    expect((refusal as SignInError).reason).toBe('sso_required');
    // An owner keeps a password way in, for when the identity provider is down.
    await cp.db.membership.updateMany({ where: { userId }, data: { role: 'owner' } });
    const signedIn = await passwordSignIn(cp.db, { email: 'pat@acme-sso.test', password: 'correct horse battery' }, {});
    expect(signedIn.tenantId).toBe(acme.tenantId);
  });

  it('stops routing when SSO is removed', async () => {
    expect((await apiClient(cp.url, acme.apiKey)('DELETE', '/api/v1/sso')).status).toBe(204);
    expect((await apiClient(cp.url)('GET', '/api/account/sso?email=jane@acme-sso.test')).body).toEqual({ sso: false });
    expect(await cp.db.ssoDomain.count()).toBe(0);
  });
});
