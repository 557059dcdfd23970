import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passwordSignIn, SignInError, type SignInRefusal } from '../../apps/console/src/server/account/service.ts';
import { PERMISSIONS } from '../../apps/console/src/server/auth/permissions.ts';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.ts';
import { apiClient } from '../support/http.ts';
import { people } from '../support/people.ts';

/**
 * Identity end to end over HTTP (docs/identity-api.md): sign-up, invitations, members,
 * sessions, password sign-in and resets, API keys and tenant switching, against the real
 * control-plane apps and a database of this file's own.
 */

const PASSWORD = 'correct horse battery';
let cp: TestControlPlane;
const { call, unique, sessionOf, freshTenant, signedInMember, linkIn } = people(() => cp);

beforeAll(async () => {
  cp = await startTestControlPlane();
});
afterAll(() => cp?.stop());

async function mailTo(email: string) {
  return cp.db.devMail.findMany({ where: { to: email }, orderBy: { createdAt: 'desc' } });
}

async function refusal(promise: Promise<unknown>): Promise<SignInRefusal | 'signed in'> {
  try {
    await promise;
    return 'signed in';
  } catch (err) {
    if (err instanceof SignInError) return err.reason;
    throw err;
  }
}

function expectProblem(res: { status: number; body: { status?: number; type?: string }; headers: Headers }, status: number) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(res.body).toMatchObject({ status, type: expect.stringMatching(/^https:\/\/orvanta\.dev\/problems\//) });
}

describe('sign-up', () => {
  it('creates a tenant with the person as its owner, who holds every permission', async () => {
    const email = `${unique('founder')}@startup.test`;
    const res = await call('POST', '/api/account/signup', { name: 'Ada Founder', email, password: 'a long enough password', organization: 'Startup Inc' }, { origin: cp.url });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.tenant).toMatchObject({ id: expect.any(String), slug: expect.stringMatching(/^startup-inc/), name: 'Startup Inc' });

    const user = await cp.db.user.findUniqueOrThrow({ where: { email } });
    const me = await (await sessionOf(user.id, res.body.tenant.id)).call('GET', '/api/v1/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ actor: { type: 'user', id: user.id }, user: { email, name: 'Ada Founder' }, tenant: res.body.tenant, role: 'owner' });
    expect([...me.body.permissions].sort()).toEqual([...PERMISSIONS].sort());
    expect(me.body.memberships).toEqual([{ tenantId: res.body.tenant.id, slug: res.body.tenant.slug, name: 'Startup Inc', role: 'owner' }]);
    expect(await refusal(passwordSignIn(cp.db, { email, password: 'a long enough password' }, { ip: '10.1.0.1' }))).toBe('signed in');
  });

  it('refuses an email that already has an account (whatever its case) with 409, and creates nothing', async () => {
    const email = `${unique('dup')}@startup.test`;
    expect((await call('POST', '/api/account/signup', { name: 'First', email, password: 'a long enough password', organization: 'First Org' })).status).toBe(201);
    const tenants = await cp.db.tenant.count();
    for (const again of [email, email.toUpperCase()]) {
      const res = await call('POST', '/api/account/signup', { name: 'Second', email: again, password: 'another long password', organization: 'Second Org' });
      expectProblem(res, 409);
    }
    expect(await cp.db.tenant.count()).toBe(tenants);
  });

  it('answers 409, not an error, to sign-ups racing for one email, and creates one account', async () => {
    const email = `${unique('race')}@startup.test`;
    const results = await Promise.all(
      [0, 1, 2, 3].map((i) => call('POST', '/api/account/signup', { name: 'Racer', email, password: 'a long enough password', organization: 'Race Org' }, { 'x-forwarded-for': `10.9.0.${i}` })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
    for (const res of results.filter((r) => r.status === 409)) expectProblem(res, 409);
    const user = await cp.db.user.findUniqueOrThrow({ where: { email } });
    expect(await cp.db.membership.count({ where: { userId: user.id } })).toBe(1);
  });

  it('refuses a short password with 422 naming the password field, and creates nothing', async () => {
    const email = `${unique('short')}@startup.test`;
    const res = await call('POST', '/api/account/signup', { name: 'Shorty', email, password: 'short', organization: 'Short Org' });
    expectProblem(res, 422);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain('password');
    expect(await cp.db.user.findUnique({ where: { email } })).toBeNull();
  });
});

describe('invitations', () => {
  it('mails a single-use link that creates the account with the invited role', async () => {
    const t = await freshTenant('inv');
    const email = `${unique('newcomer')}@people.test`;
    const created = await t.owner.call('POST', '/api/v1/invitations', { email, role: 'developer' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ email, role: 'developer', status: 'pending', invitedBy: { id: t.userId, email: t.email } });
    expect((await t.owner.call('GET', '/api/v1/invitations')).body.data.map((i: { id: string }) => i.id)).toContain(created.body.id);

    const token = await linkIn(email, 'invite');
    const described = await call('GET', `/api/account/invitations/${token}`);
    expect(described.status).toBe(200);
    expect(described.body).toMatchObject({ tenant: { slug: t.slug }, email, role: 'developer', accountExists: false });
    expect(new Date(described.body.expiresAt).getTime()).toBeGreaterThan(Date.now() + 6 * 24 * 3600 * 1000);

    const accepted = await call('POST', `/api/account/invitations/${token}/accept`, { name: 'New Comer', password: 'my brand new password' }, { origin: cp.url });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(accepted.body).toMatchObject({ tenant: { id: t.tenantId, slug: t.slug }, email });
    const user = await cp.db.user.findUniqueOrThrow({ where: { email } });
    expect(await cp.db.membership.findUnique({ where: { tenantId_userId: { tenantId: t.tenantId, userId: user.id } } })).toMatchObject({ role: 'developer' });
    const me = await (await sessionOf(user.id, t.tenantId)).call('GET', '/api/v1/me');
    expect(me.body).toMatchObject({ role: 'developer', tenant: { id: t.tenantId } });
    expect(await refusal(passwordSignIn(cp.db, { email, password: 'my brand new password' }, { ip: '10.1.0.2' }))).toBe('signed in');

    // The link works once.
    expectProblem(await call('GET', `/api/account/invitations/${token}`), 410);
    expectProblem(await call('POST', `/api/account/invitations/${token}/accept`, { name: 'Again', password: 'my brand new password' }), 410);
    expect((await t.owner.call('GET', '/api/v1/invitations')).body.data.map((i: { id: string }) => i.id)).not.toContain(created.body.id);
  });

  it('answers 404 for a link that was never issued', async () => {
    expectProblem(await call('GET', '/api/account/invitations/never-issued-token-0123456789'), 404);
  });

  it('answers 410 once the link has expired', async () => {
    const t = await freshTenant('exp');
    const email = `${unique('late')}@people.test`;
    const created = await t.owner.call('POST', '/api/v1/invitations', { email, role: 'viewer' });
    const token = await linkIn(email, 'invite');
    expect((await call('GET', `/api/account/invitations/${token}`)).status).toBe(200);
    await cp.db.invitation.update({ where: { id: created.body.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expectProblem(await call('GET', `/api/account/invitations/${token}`), 410);
    expectProblem(await call('POST', `/api/account/invitations/${token}/accept`, { name: 'Late', password: 'a long enough password' }), 410);
    expect(await cp.db.user.findUnique({ where: { email } })).toBeNull();
  });

  it('answers 410 once the invitation is withdrawn', async () => {
    const t = await freshTenant('rev');
    const email = `${unique('unwanted')}@people.test`;
    const created = await t.owner.call('POST', '/api/v1/invitations', { email, role: 'viewer' });
    const token = await linkIn(email, 'invite');
    expect((await t.owner.call('DELETE', `/api/v1/invitations/${created.body.id}`)).status).toBe(204);
    expectProblem(await call('GET', `/api/account/invitations/${token}`), 410);
    expectProblem(await call('POST', `/api/account/invitations/${token}/accept`, { name: 'Unwanted', password: 'a long enough password' }), 410);
    expect((await t.owner.call('GET', '/api/v1/invitations')).body.data).toEqual([]);
  });

  it("needs an existing account's password to accept for it", async () => {
    const home = await freshTenant('home');
    const t = await freshTenant('join');
    const existing = await signedInMember(home.tenantId, 'viewer');
    await t.owner.call('POST', '/api/v1/invitations', { email: existing.email, role: 'operator' });
    const token = await linkIn(existing.email, 'invite');
    expect((await call('GET', `/api/account/invitations/${token}`)).body).toMatchObject({ accountExists: true, role: 'operator' });

    expectProblem(await call('POST', `/api/account/invitations/${token}/accept`, { password: 'not the password at all' }), 401);
    expectProblem(await call('POST', `/api/account/invitations/${token}/accept`, {}), 401);
    expect(await cp.db.membership.findUnique({ where: { tenantId_userId: { tenantId: t.tenantId, userId: existing.userId } } })).toBeNull();

    const accepted = await call('POST', `/api/account/invitations/${token}/accept`, { password: PASSWORD });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(await cp.db.membership.findUnique({ where: { tenantId_userId: { tenantId: t.tenantId, userId: existing.userId } } })).toMatchObject({ role: 'operator' });
    // The account keeps its password and its other tenant.
    expect(await refusal(passwordSignIn(cp.db, { email: existing.email, password: PASSWORD }, { ip: '10.1.0.3' }))).toBe('signed in');
    const me = await existing.call('GET', '/api/v1/me');
    expect(me.body.memberships.map((m: { tenantId: string; role: string }) => [m.tenantId, m.role]).sort()).toEqual([[home.tenantId, 'viewer'], [t.tenantId, 'operator']].sort());
  });

  it('two invitations to one new address accepted at once both succeed, with one account', async () => {
    const a = await freshTenant('twin-a');
    const b = await freshTenant('twin-b');
    const email = `${unique('twin')}@people.test`;
    await a.owner.call('POST', '/api/v1/invitations', { email, role: 'viewer' });
    const tokenA = await linkIn(email, 'invite');
    await b.owner.call('POST', '/api/v1/invitations', { email, role: 'developer' });
    const tokenB = await linkIn(email, 'invite');
    const results = await Promise.all([tokenA, tokenB].map((token) => call('POST', `/api/account/invitations/${token}/accept`, { name: 'Twin', password: 'a long enough password' }, { origin: cp.url })));
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    const user = await cp.db.user.findUniqueOrThrow({ where: { email } });
    const memberships = await cp.db.membership.findMany({ where: { userId: user.id } });
    expect(memberships.map((m) => [m.tenantId, m.role]).sort()).toEqual([[a.tenantId, 'viewer'], [b.tenantId, 'developer']].sort());
  });

  it("refuses to accept for a locked account, even with its password", async () => {
    const t = await freshTenant('locked-join');
    const home = await freshTenant('locked-home');
    const existing = await signedInMember(home.tenantId, 'viewer');
    await t.owner.call('POST', '/api/v1/invitations', { email: existing.email, role: 'viewer' });
    const token = await linkIn(existing.email, 'invite');
    await cp.db.user.update({ where: { id: existing.userId }, data: { lockedUntil: new Date(Date.now() + 60_000) } });
    const refused = await call('POST', `/api/account/invitations/${token}/accept`, { password: PASSWORD });
    expectProblem(refused, 403);
    expect(refused.body.detail).toMatch(/locked/);
    expect(await cp.db.membership.findUnique({ where: { tenantId_userId: { tenantId: t.tenantId, userId: existing.userId } } })).toBeNull();
  });

  it('lets nobody invite to a role with permissions they lack', async () => {
    const t = await freshTenant('perm');
    const admin = await signedInMember(t.tenantId, 'admin');
    const developer = await signedInMember(t.tenantId, 'developer');

    const asOwner = await admin.call('POST', '/api/v1/invitations', { email: `${unique('boss')}@people.test`, role: 'owner' });
    expectProblem(asOwner, 403);
    expect(asOwner.body.permission).toBe('billing.write');
    expect(asOwner.body.detail).toContain('billing.write');

    const byDeveloper = await developer.call('POST', '/api/v1/invitations', { email: `${unique('friend')}@people.test`, role: 'viewer' });
    expectProblem(byDeveloper, 403);
    expect(byDeveloper.body.permission).toBe('members.write');
    expect(byDeveloper.body.detail).toContain('members.write');

    expect(await cp.db.invitation.count({ where: { tenantId: t.tenantId } })).toBe(0);
    // An admin may still invite to roles within theirs.
    expect((await admin.call('POST', '/api/v1/invitations', { email: `${unique('helper')}@people.test`, role: 'admin' })).status).toBe(201);
  });
});

describe('members', () => {
  it('a role change shows at once in the member’s existing session', async () => {
    const t = await freshTenant('roles');
    const admin = await signedInMember(t.tenantId, 'admin');
    const dev = await signedInMember(t.tenantId, 'developer');
    expect((await dev.call('GET', '/api/v1/me')).body.role).toBe('developer');

    const patched = await admin.call('PATCH', `/api/v1/members/${dev.membershipId}`, { role: 'viewer' });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body).toMatchObject({ id: dev.membershipId, userId: dev.userId, email: dev.email, role: 'viewer', you: false });

    const me = await dev.call('GET', '/api/v1/me');
    expect(me.body.role).toBe('viewer');
    expect(me.body.permissions).not.toContain('workflows.write');
    expectProblem(await dev.call('POST', '/api/v1/api-keys', { name: 'nope', scopes: ['workflows.read'] }), 403);
  });

  it('keeps at least one owner, and an admin cannot touch an owner', async () => {
    const t = await freshTenant('owners');
    const admin = await signedInMember(t.tenantId, 'admin');
    const members = await t.owner.call('GET', '/api/v1/members');
    const self = members.body.data.find((m: { you: boolean }) => m.you);
    expect(self).toMatchObject({ userId: t.userId, role: 'owner' });

    expectProblem(await t.owner.call('PATCH', `/api/v1/members/${self.id}`, { role: 'admin' }), 409);
    expectProblem(await t.owner.call('DELETE', `/api/v1/members/${self.id}`), 409);
    const demote = await admin.call('PATCH', `/api/v1/members/${self.id}`, { role: 'viewer' });
    expectProblem(demote, 403);
    expect(demote.body.permission).toEqual(expect.any(String));
    expectProblem(await admin.call('DELETE', `/api/v1/members/${self.id}`), 403);
    const promote = await admin.call('PATCH', `/api/v1/members/${admin.membershipId}`, { role: 'owner' });
    expectProblem(promote, 403);
    expect((await t.owner.call('GET', '/api/v1/me')).body.role).toBe('owner');
    expect((await admin.call('GET', '/api/v1/me')).body.role).toBe('admin');

    // With a second owner, the first may step down.
    expect((await t.owner.call('PATCH', `/api/v1/members/${admin.membershipId}`, { role: 'owner' })).status).toBe(200);
    expect((await t.owner.call('PATCH', `/api/v1/members/${self.id}`, { role: 'admin' })).status).toBe(200);
    expect((await t.owner.call('GET', '/api/v1/me')).body.role).toBe('admin');
    expectProblem(await admin.call('PATCH', `/api/v1/members/${admin.membershipId}`, { role: 'admin' }), 409);
  });

  it('removing a member ends their sessions and revokes the keys they created, at once', async () => {
    const t = await freshTenant('remove');
    const dev = await signedInMember(t.tenantId, 'developer');
    const key = await dev.call('POST', '/api/v1/api-keys', { name: 'dev laptop', scopes: ['workflows.read', 'api_keys.write'] });
    expect(key.status, JSON.stringify(key.body)).toBe(201);
    const devKey = apiClient(cp.url, key.body.secret);
    expect((await devKey('GET', '/api/v1/workflows')).status).toBe(200);
    // A key their key made, and one made by that one, are theirs too.
    const child = await devKey('POST', '/api/v1/api-keys', { name: 'made by my key', scopes: ['workflows.read', 'api_keys.write'] });
    expect(child.status).toBe(201);
    const grandchild = await apiClient(cp.url, child.body.secret)('POST', '/api/v1/api-keys', { name: 'made by that key', scopes: ['workflows.read'] });
    expect(grandchild.status).toBe(201);
    // Revoking the key in between does not hide what it made.
    expect((await t.owner.call('DELETE', `/api/v1/api-keys/${child.body.id}`)).status).toBe(204);
    expect((await apiClient(cp.url, grandchild.body.secret)('GET', '/api/v1/workflows')).status).toBe(200);
    const ownerKey = await t.owner.call('POST', '/api/v1/api-keys', { name: 'owner’s own', scopes: ['workflows.read'] });
    expect((await dev.call('GET', '/api/v1/me')).status).toBe(200);

    expect((await t.owner.call('DELETE', `/api/v1/members/${dev.membershipId}`)).status).toBe(204);
    expectProblem(await dev.call('GET', '/api/v1/me'), 401);
    expectProblem(await devKey('GET', '/api/v1/workflows'), 401);
    expectProblem(await apiClient(cp.url, child.body.secret)('GET', '/api/v1/workflows'), 401);
    expectProblem(await apiClient(cp.url, grandchild.body.secret)('GET', '/api/v1/workflows'), 401);
    expect((await apiClient(cp.url, ownerKey.body.secret)('GET', '/api/v1/workflows')).status).toBe(200);
    expect((await apiClient(cp.url, t.apiKey)('GET', '/api/v1/workflows')).status).toBe(200);
    expect((await t.owner.call('GET', '/api/v1/members')).body.data.map((m: { id: string }) => m.id)).not.toContain(dev.membershipId);
    expect((await t.owner.call('GET', '/api/v1/api-keys')).body.data.find((k: { id: string }) => k.id === key.body.id)).toMatchObject({ status: 'revoked' });

    // Being added back later does not bring the old session or key back to life.
    await cp.member(t.tenantId, dev.email, 'developer');
    expectProblem(await dev.call('GET', '/api/v1/me'), 401);
    expectProblem(await devKey('GET', '/api/v1/workflows'), 401);
  });
});

describe('sessions', () => {
  it('lists your own sessions and ends one at once', async () => {
    const t = await freshTenant('ses');
    const laptop = t.owner;
    const phone = await sessionOf(t.userId, t.tenantId);
    const other = await signedInMember(t.tenantId, 'viewer');

    const list = await laptop.call('GET', '/api/v1/sessions');
    expect(list.status).toBe(200);
    const byId = new Map(list.body.data.map((s: { id: string; current: boolean }) => [s.id, s]));
    expect(byId.get(laptop.sessionId)).toMatchObject({ tenantId: t.tenantId, current: true });
    expect(byId.get(phone.sessionId)).toMatchObject({ current: false });
    expect(byId.has(other.sessionId)).toBe(false);
    expect(list.body.data.filter((s: { current: boolean }) => s.current)).toHaveLength(1);

    expect((await laptop.call('DELETE', `/api/v1/sessions/${phone.sessionId}`)).status).toBe(204);
    expectProblem(await phone.call('GET', '/api/v1/me'), 401);
    expect((await laptop.call('GET', '/api/v1/me')).status).toBe(200);
    expect((await laptop.call('GET', '/api/v1/sessions')).body.data.map((s: { id: string }) => s.id)).not.toContain(phone.sessionId);

    // Someone else's session is not yours to see or end.
    expectProblem(await laptop.call('DELETE', `/api/v1/sessions/${other.sessionId}`), 404);
    expect((await other.call('GET', '/api/v1/me')).status).toBe(200);

    // Revoking the current one signs you out.
    expect((await laptop.call('DELETE', `/api/v1/sessions/${laptop.sessionId}`)).status).toBe(204);
    expectProblem(await laptop.call('GET', '/api/v1/me'), 401);
  });

  it("audits ending a session in the session's own tenant", async () => {
    const a = await freshTenant('ses-a');
    const b = await freshTenant('ses-b');
    await cp.member(b.tenantId, (await cp.db.user.findUniqueOrThrow({ where: { id: a.userId } })).email, 'viewer');
    const inB = await sessionOf(a.userId, b.tenantId);
    expect((await a.owner.call('DELETE', `/api/v1/sessions/${inB.sessionId}`)).status).toBe(204);
    const events = await cp.db.auditEvent.findMany({ where: { action: 'session.revoked', targetId: inB.sessionId } });
    expect(events.map((e) => e.tenantId)).toEqual([b.tenantId]);
  });

  it('is for people only: an API key gets 403', async () => {
    const t = await freshTenant('seskey');
    const key = apiClient(cp.url, t.apiKey);
    expectProblem(await key('GET', '/api/v1/sessions'), 403);
    expectProblem(await key('DELETE', `/api/v1/sessions/${t.owner.sessionId}`), 403);
    expect((await t.owner.call('GET', '/api/v1/me')).status).toBe(200);
  });
});

describe('password sign-in and reset', () => {
  it('locks after five wrong passwords; a reset unlocks, ends every session and sets the new password', async () => {
    const t = await freshTenant('lock');
    const person = await signedInMember(t.tenantId, 'developer');
    const meta = { ip: '10.2.0.1' };
    expect(await refusal(passwordSignIn(cp.db, { email: person.email, password: PASSWORD }, meta))).toBe('signed in');
    for (let i = 0; i < 5; i++) {
      expect(await refusal(passwordSignIn(cp.db, { email: person.email, password: `wrong password ${i}` }, meta))).toBe('CredentialsSignin');
    }
    expect(await refusal(passwordSignIn(cp.db, { email: person.email, password: PASSWORD }, meta))).toBe('locked');
    expect(await refusal(passwordSignIn(cp.db, { email: person.email.toUpperCase(), password: PASSWORD }, meta))).toBe('locked');

    const second = await sessionOf(person.userId, t.tenantId);
    const requested = await call('POST', '/api/account/password-reset', { email: person.email }, { origin: cp.url });
    expect(requested.status).toBe(202);
    const token = await linkIn(person.email, 'reset-password');
    const confirmed = await call('POST', '/api/account/password-reset/confirm', { token, password: 'a fresh new password' }, { origin: cp.url });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(204);

    expectProblem(await person.call('GET', '/api/v1/me'), 401);
    expectProblem(await second.call('GET', '/api/v1/me'), 401);
    expect(await refusal(passwordSignIn(cp.db, { email: person.email, password: 'a fresh new password' }, meta))).toBe('signed in');
    expect(await refusal(passwordSignIn(cp.db, { email: person.email, password: PASSWORD }, meta))).toBe('CredentialsSignin');

    // The link works once, and says so whatever password comes with it.
    expectProblem(await call('POST', '/api/account/password-reset/confirm', { token, password: 'yet another password' }), 410);
    expectProblem(await call('POST', '/api/account/password-reset/confirm', { token, password: 'short' }), 410);
    expect(await refusal(passwordSignIn(cp.db, { email: person.email, password: 'yet another password' }, meta))).toBe('CredentialsSignin');
  });

  it('a completed reset ends every other reset link of the account', async () => {
    const t = await freshTenant('links');
    const person = await signedInMember(t.tenantId, 'viewer');
    expect((await call('POST', '/api/account/password-reset', { email: person.email })).status).toBe(202);
    const older = await linkIn(person.email, 'reset-password');
    await new Promise((r) => setTimeout(r, 10));
    expect((await call('POST', '/api/account/password-reset', { email: person.email })).status).toBe(202);
    const newer = await linkIn(person.email, 'reset-password');
    expect(newer).not.toBe(older);
    expect((await call('POST', '/api/account/password-reset/confirm', { token: newer, password: 'the password I chose' })).status).toBe(204);
    expectProblem(await call('POST', '/api/account/password-reset/confirm', { token: older, password: 'someone else chose this' }), 410);
    expect(await refusal(passwordSignIn(cp.db, { email: person.email, password: 'the password I chose' }, { ip: '10.2.0.3' }))).toBe('signed in');
  });

  it('counts only consecutive failures: a successful sign-in starts the count again', async () => {
    const t = await freshTenant('count');
    const person = await signedInMember(t.tenantId, 'viewer');
    const meta = { ip: '10.2.0.2' };
    for (let i = 0; i < 4; i++) expect(await refusal(passwordSignIn(cp.db, { email: person.email, password: 'nope nope nope' }, meta))).toBe('CredentialsSignin');
    expect(await refusal(passwordSignIn(cp.db, { email: person.email, password: PASSWORD }, meta))).toBe('signed in');
    for (let i = 0; i < 4; i++) expect(await refusal(passwordSignIn(cp.db, { email: person.email, password: 'nope nope nope' }, meta))).toBe('CredentialsSignin');
    expect(await refusal(passwordSignIn(cp.db, { email: person.email, password: PASSWORD }, meta))).toBe('signed in');
  });

  it('answers 202 for an unknown address and sends nothing', async () => {
    const email = `${unique('nobody')}@people.test`;
    const res = await call('POST', '/api/account/password-reset', { email }, { origin: cp.url });
    expect(res.status).toBe(202);
    expect(await mailTo(email)).toEqual([]);
  });
});

describe('API keys', () => {
  it('shows the secret once; lists never carry the secret or its hash', async () => {
    const t = await freshTenant('keys');
    const created = await t.owner.call('POST', '/api/v1/api-keys', { name: 'ci', scopes: ['workflows.read', 'runs.read'], environment: 'production' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ name: 'ci', scopes: ['workflows.read', 'runs.read'], environment: 'production', status: 'active', createdBy: { type: 'user', id: t.userId, email: t.email } });
    const secret: string = created.body.secret;
    expect(secret).toMatch(/^orv_[0-9A-Za-z]{36}$/);
    expect(secret.startsWith(created.body.prefix)).toBe(true);

    const list = await t.owner.call('GET', '/api/v1/api-keys');
    expect(list.status).toBe(200);
    const row = list.body.data.find((k: { id: string }) => k.id === created.body.id);
    expect(row).toMatchObject({ name: 'ci', prefix: created.body.prefix, status: 'active' });
    for (const key of list.body.data) {
      expect(key).not.toHaveProperty('secret');
      expect(key).not.toHaveProperty('hash');
    }
    const stored = await cp.db.apiKey.findUniqueOrThrow({ where: { id: created.body.id } });
    expect(JSON.stringify(list.body)).not.toContain(secret);
    expect(JSON.stringify(list.body)).not.toContain(stored.hash);

    const key = apiClient(cp.url, secret);
    expect((await key('GET', '/api/v1/workflows')).status).toBe(200);
    expect((await key('GET', '/api/v1/me')).body).toMatchObject({ actor: { type: 'api_key', id: created.body.id }, user: null, role: null, tenant: { id: t.tenantId } });
    const beyondScopes = await key('POST', '/api/v1/api-keys', { name: 'child', scopes: ['workflows.read'] });
    expectProblem(beyondScopes, 403);
    expect(beyondScopes.body.permission).toBe('api_keys.write');
  });

  it("never does more than its person's current role: demoting them narrows their keys at once", async () => {
    const t = await freshTenant('narrow');
    const dev = await signedInMember(t.tenantId, 'developer');
    const made = await dev.call('POST', '/api/v1/api-keys', { name: 'ci', scopes: ['workflows.read', 'workflows.write', 'api_keys.write'] });
    expect(made.status).toBe(201);
    // A key the key makes acts for the same person.
    const child = await apiClient(cp.url, made.body.secret)('POST', '/api/v1/api-keys', { name: 'child', scopes: ['workflows.write'] });
    expect(child.status).toBe(201);
    const key = apiClient(cp.url, made.body.secret);
    const childKey = apiClient(cp.url, child.body.secret);
    const doc = (name: string) => ({ name, nodes: [{ id: 'a', type: 'script', language: 'javascript', code: 'export default (x) => x' }] });
    expect((await key('POST', '/api/v1/workflows', doc(unique('wf')))).status).toBe(201);

    expect((await t.owner.call('PATCH', `/api/v1/members/${dev.membershipId}`, { role: 'viewer' })).status).toBe(200);
    const refused = await key('POST', '/api/v1/workflows', doc(unique('wf')));
    expectProblem(refused, 403);
    expect(refused.body.permission).toBe('workflows.write');
    expectProblem(await childKey('POST', '/api/v1/workflows', doc(unique('wf'))), 403);
    expect((await key('GET', '/api/v1/workflows')).status).toBe(200);
    expect((await key('GET', '/api/v1/me')).body.permissions).toEqual(['workflows.read']);

    // Promoted again, the key gets back what it was given, and no more.
    expect((await t.owner.call('PATCH', `/api/v1/members/${dev.membershipId}`, { role: 'admin' })).status).toBe(200);
    expect((await key('POST', '/api/v1/workflows', doc(unique('wf')))).status).toBe(201);
    expect([...(await key('GET', '/api/v1/me')).body.permissions].sort()).toEqual(['api_keys.write', 'workflows.read', 'workflows.write']);
  });

  it('refuses scopes the caller does not hold (403) and scopes that do not exist (422)', async () => {
    const t = await freshTenant('scopes');
    const dev = await signedInMember(t.tenantId, 'developer');
    const tooMuch = await dev.call('POST', '/api/v1/api-keys', { name: 'sneaky', scopes: ['workflows.read', 'members.write'] });
    expectProblem(tooMuch, 403);
    expect(tooMuch.body.permission).toBe('members.write');
    const unknown = await dev.call('POST', '/api/v1/api-keys', { name: 'typo', scopes: ['workflows.raed'] });
    expectProblem(unknown, 422);
    expect(unknown.body.errors[0].path).toMatch(/^scopes/);
    expect(await cp.db.apiKey.count({ where: { tenantId: t.tenantId, createdById: dev.userId } })).toBe(0);
    expect((await dev.call('POST', '/api/v1/api-keys', { name: 'fine', scopes: ['workflows.read', 'runs.write'] })).status).toBe(201);
  });

  it('a revoked key stops working at once', async () => {
    const t = await freshTenant('revoke');
    const created = await t.owner.call('POST', '/api/v1/api-keys', { name: 'old', scopes: ['workflows.read'] });
    const key = apiClient(cp.url, created.body.secret);
    expect((await key('GET', '/api/v1/workflows')).status).toBe(200);
    expect((await t.owner.call('DELETE', `/api/v1/api-keys/${created.body.id}`)).status).toBe(204);
    expectProblem(await key('GET', '/api/v1/workflows'), 401);
    expect((await t.owner.call('GET', '/api/v1/api-keys')).body.data.find((k: { id: string }) => k.id === created.body.id)).toMatchObject({ status: 'revoked', revokedAt: expect.any(String) });
  });

  it('rotation keeps the old key working for the grace period, and not at all with 0', async () => {
    const t = await freshTenant('rotate');
    const first = await t.owner.call('POST', '/api/v1/api-keys', { name: 'deploy', scopes: ['workflows.read', 'runs.read'], rateLimitPerMinute: 100 });
    const rotated = await t.owner.call('POST', `/api/v1/api-keys/${first.body.id}/rotate`, { gracePeriodSeconds: 3600 });
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(201);
    expect(rotated.body).toMatchObject({ name: 'deploy', scopes: ['workflows.read', 'runs.read'], rateLimitPerMinute: 100, replaces: first.body.id, status: 'active' });
    expect(rotated.body.secret).not.toBe(first.body.secret);
    const oldKey = apiClient(cp.url, first.body.secret);
    const newKey = apiClient(cp.url, rotated.body.secret);
    expect((await oldKey('GET', '/api/v1/workflows')).status).toBe(200);
    expect((await newKey('GET', '/api/v1/workflows')).status).toBe(200);
    const old = (await t.owner.call('GET', '/api/v1/api-keys')).body.data.find((k: { id: string }) => k.id === first.body.id);
    expect(Math.abs(new Date(old.expiresAt).getTime() - (Date.now() + 3600_000))).toBeLessThan(60_000);

    const again = await t.owner.call('POST', `/api/v1/api-keys/${rotated.body.id}/rotate`, { gracePeriodSeconds: 0 });
    expect(again.status).toBe(201);
    expectProblem(await newKey('GET', '/api/v1/workflows'), 401);
    expect((await apiClient(cp.url, again.body.secret)('GET', '/api/v1/workflows')).status).toBe(200);
    expect((await oldKey('GET', '/api/v1/workflows')).status).toBe(200);
  });

  it('rotates a key once: its replacement keeps the key’s expiry, and a second rotation is refused', async () => {
    const t = await freshTenant('once');
    const expiresAt = new Date(Date.now() + 30 * 24 * 3600_000).toISOString();
    const key = await t.owner.call('POST', '/api/v1/api-keys', { name: 'nightly', scopes: ['workflows.read'], expiresAt });
    const rotations = await Promise.all([0, 1, 2].map(() => t.owner.call('POST', `/api/v1/api-keys/${key.body.id}/rotate`, { gracePeriodSeconds: 60 })));
    expect(rotations.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    const replacement = rotations.find((r) => r.status === 201)!;
    expect(replacement.body.expiresAt).toBe(expiresAt);
    const again = await t.owner.call('POST', `/api/v1/api-keys/${key.body.id}/rotate`, { gracePeriodSeconds: 0 });
    expectProblem(again, 409);
    const keys = (await t.owner.call('GET', '/api/v1/api-keys')).body.data.filter((k: { name: string }) => k.name === 'nightly');
    expect(keys).toHaveLength(2);
    expect(keys.find((k: { id: string }) => k.id === key.body.id)).toMatchObject({ replacedById: replacement.body.id, status: 'active' });
    expect((await apiClient(cp.url, key.body.secret)('GET', '/api/v1/workflows')).status).toBe(200);
    expect((await apiClient(cp.url, replacement.body.secret)('GET', '/api/v1/workflows')).status).toBe(200);
  });

  it('answers 429 with Retry-After once a key is over its own rate limit', async () => {
    const t = await freshTenant('limit');
    const created = await t.owner.call('POST', '/api/v1/api-keys', { name: 'slow', scopes: ['workflows.read'], rateLimitPerMinute: 3 });
    expect(created.body.rateLimitPerMinute).toBe(3);
    // The window is the database's clock minute: don't start right before it turns.
    const [{ second }] = (await cp.db.$queryRaw<{ second: number }[]>`SELECT extract(second FROM now())::float8 AS second`) as [{ second: number }];
    if (second > 50) await new Promise((r) => setTimeout(r, (61 - second) * 1000));
    const key = apiClient(cp.url, created.body.secret);
    for (let i = 0; i < 3; i++) {
      const ok = await key('GET', '/api/v1/workflows');
      expect(ok.status).toBe(200);
      expect(ok.headers.get('ratelimit-limit')).toBe('3');
      expect(ok.headers.get('ratelimit-remaining')).toBe(String(2 - i));
    }
    const limited = await key('GET', '/api/v1/workflows');
    expectProblem(limited, 429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    // Other keys of the tenant have their own budget.
    expect((await apiClient(cp.url, t.apiKey)('GET', '/api/v1/workflows')).status).toBe(200);
  });
});

describe('tenant switch', () => {
  it('moves the session to another tenant of the person, and only to one of theirs', async () => {
    const a = await freshTenant('sw-a');
    const b = await freshTenant('sw-b');
    const stranger = await freshTenant('sw-c');
    const email = `${unique('consultant')}@people.test`;
    const person = await signedInMember(a.tenantId, 'developer', email);
    await cp.member(b.tenantId, email, 'viewer');

    const before = await person.call('GET', '/api/v1/me');
    expect(before.body).toMatchObject({ tenant: { id: a.tenantId }, role: 'developer' });
    expect(before.body.memberships.map((m: { tenantId: string }) => m.tenantId).sort()).toEqual([a.tenantId, b.tenantId].sort());

    const switched = await person.call('POST', '/api/account/switch-tenant', { tenantId: b.tenantId });
    expect(switched.status, JSON.stringify(switched.body)).toBe(204);
    const after = await person.call('GET', '/api/v1/me');
    expect(after.body).toMatchObject({ tenant: { id: b.tenantId, slug: b.slug }, role: 'viewer' });
    expect(after.body.permissions).not.toContain('workflows.write');

    expectProblem(await person.call('POST', '/api/account/switch-tenant', { tenantId: stranger.tenantId }), 404);
    expect((await person.call('GET', '/api/v1/me')).body.tenant.id).toBe(b.tenantId);
    // From another site: refused.
    expectProblem(await person.call('POST', '/api/account/switch-tenant', { tenantId: a.tenantId }, { origin: 'https://evil.example' }), 403);
    expect((await person.call('GET', '/api/v1/me')).body.tenant.id).toBe(b.tenantId);
  });
});

