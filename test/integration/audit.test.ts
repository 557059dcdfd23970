import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAudit } from '../../apps/console/src/server/audit.ts';
import { AUDIT_CSV_COLUMNS } from '../../apps/console/src/server/audit-log.ts';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.ts';
import { apiClient } from '../support/http.ts';
import { people } from '../support/people.ts';

/**
 * The audit trail over HTTP: every identity change leaves a hash-chained event carrying
 * who, what, which and the request id; verify finds any edited or removed event; the list
 * filters and pages; exports hold every event; concurrent writers keep the chain linear.
 */

const PASSWORD = 'correct horse battery';
let cp: TestControlPlane;
const { call, unique, sessionOf, freshTenant, signedInMember, linkIn } = people(() => cp);

beforeAll(async () => {
  cp = await startTestControlPlane();
});
afterAll(() => cp?.stop());

type Response = Awaited<ReturnType<ReturnType<typeof apiClient>>>;

const json = (value: unknown) => JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));

interface Expected {
  action: string;
  actor: { type: string; id: string };
  target: { type: string; id: string };
}

/** The change answered 2xx and left exactly the expected event, in `tenantId`'s chain, under its request id. */
async function expectAudited(res: Response, tenantId: string | null, expected: Expected) {
  expect(res.status, json(res.body)).toBeGreaterThanOrEqual(200);
  expect(res.status, json(res.body)).toBeLessThan(300);
  const requestId = res.headers.get('x-request-id');
  expect(requestId).toBeTruthy();
  const events = await cp.db.auditEvent.findMany({ where: { requestId }, orderBy: { seq: 'asc' } });
  const event = events.find((e) => e.action === expected.action);
  expect(event, `${expected.action} among ${events.map((e) => e.action).join(', ') || 'no events'} for request ${requestId}`).toBeDefined();
  expect({ chain: event!.chain, tenantId: event!.tenantId, actor: { type: event!.actorType, id: event!.actorId }, target: { type: event!.targetType, id: event!.targetId } }).toEqual({
    chain: tenantId ?? 'global',
    tenantId,
    actor: expected.actor,
    target: expected.target,
  });
  return event!;
}

/** A tiny RFC 4180 reader: rows of cells, quotes and doubled quotes handled. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const endCell = () => {
    row.push(cell);
    cell = '';
  };
  const endRow = () => {
    endCell();
    rows.push(row);
    row = [];
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') endCell();
    else if (ch === '\n') endRow();
    else if (ch === '\r' && text[i + 1] === '\n') {
      endRow();
      i++;
    } else cell += ch;
  }
  if (cell || row.length) endRow();
  return rows;
}

describe('every change is audited', () => {
  it('with actor, action, target and the request id, in the tenant’s chain, and never a secret', async () => {
    const secrets: string[] = [PASSWORD];
    const user = (id: string) => ({ type: 'user', id });

    // Sign-up.
    const founderEmail = `${unique('founder')}@audit.test`;
    const founderPassword = 'founder password 1234';
    secrets.push(founderPassword);
    const signup = await call('POST', '/api/account/signup', { name: 'Founder', email: founderEmail, password: founderPassword, organization: 'Audited Org' }, { origin: cp.url });
    const tenantId: string = signup.body.tenant.id;
    const founder = await cp.db.user.findUniqueOrThrow({ where: { email: founderEmail } });
    await expectAudited(signup, tenantId, { action: 'tenant.created', actor: user(founder.id), target: { type: 'tenant', id: tenantId } });
    const founderMembership = await cp.db.membership.findFirstOrThrow({ where: { tenantId, userId: founder.id } });
    await expectAudited(signup, tenantId, { action: 'member.added', actor: user(founder.id), target: { type: 'membership', id: founderMembership.id } });
    const owner = await sessionOf(founder.id, tenantId);

    // Invitation sent, accepted (new account) and another withdrawn.
    const inviteeEmail = `${unique('invitee')}@audit.test`;
    const invited = await owner.call('POST', '/api/v1/invitations', { email: inviteeEmail, role: 'developer' });
    await expectAudited(invited, tenantId, { action: 'invitation.created', actor: user(founder.id), target: { type: 'invitation', id: invited.body.id } });
    const inviteToken = await linkIn(inviteeEmail, 'invite');
    secrets.push(inviteToken);
    const inviteePassword = 'invitee password 5678';
    secrets.push(inviteePassword);
    const accepted = await call('POST', `/api/account/invitations/${inviteToken}/accept`, { name: 'Invitee', password: inviteePassword }, { origin: cp.url });
    const invitee = await cp.db.user.findUniqueOrThrow({ where: { email: inviteeEmail } });
    const inviteeMembership = await cp.db.membership.findFirstOrThrow({ where: { tenantId, userId: invitee.id } });
    await expectAudited(accepted, tenantId, { action: 'invitation.accepted', actor: user(invitee.id), target: { type: 'invitation', id: invited.body.id } });
    await expectAudited(accepted, tenantId, { action: 'member.added', actor: user(invitee.id), target: { type: 'membership', id: inviteeMembership.id } });
    const other = await owner.call('POST', '/api/v1/invitations', { email: `${unique('other')}@audit.test`, role: 'viewer' });
    secrets.push(await linkIn(other.body.email, 'invite'));
    await expectAudited(await owner.call('DELETE', `/api/v1/invitations/${other.body.id}`), tenantId, { action: 'invitation.revoked', actor: user(founder.id), target: { type: 'invitation', id: other.body.id } });

    // Role change: before and after say what changed.
    const roleChange = await owner.call('PATCH', `/api/v1/members/${inviteeMembership.id}`, { role: 'admin' });
    const changed = await expectAudited(roleChange, tenantId, { action: 'member.role_changed', actor: user(founder.id), target: { type: 'membership', id: inviteeMembership.id } });
    expect(changed.before).toMatchObject({ role: 'developer' });
    expect(changed.after).toMatchObject({ role: 'admin' });

    // API keys: created by a person and by a key, rotated, revoked.
    const invitee$ = await sessionOf(invitee.id, tenantId);
    const created = await invitee$.call('POST', '/api/v1/api-keys', { name: 'ci', scopes: ['workflows.read', 'api_keys.write'] });
    secrets.push(created.body.secret);
    const keyEvent = await expectAudited(created, tenantId, { action: 'api_key.created', actor: user(invitee.id), target: { type: 'api_key', id: created.body.id } });
    expect(keyEvent.after).toMatchObject({ name: 'ci', prefix: created.body.prefix, scopes: ['workflows.read', 'api_keys.write'] });
    const byKey = await apiClient(cp.url, created.body.secret)('POST', '/api/v1/api-keys', { name: 'child', scopes: ['workflows.read'] });
    secrets.push(byKey.body.secret);
    await expectAudited(byKey, tenantId, { action: 'api_key.created', actor: { type: 'api_key', id: created.body.id }, target: { type: 'api_key', id: byKey.body.id } });
    const rotated = await owner.call('POST', `/api/v1/api-keys/${byKey.body.id}/rotate`, { gracePeriodSeconds: 60 });
    secrets.push(rotated.body.secret);
    await expectAudited(rotated, tenantId, { action: 'api_key.rotated', actor: user(founder.id), target: { type: 'api_key', id: byKey.body.id } });
    await expectAudited(await owner.call('DELETE', `/api/v1/api-keys/${rotated.body.id}`), tenantId, { action: 'api_key.revoked', actor: user(founder.id), target: { type: 'api_key', id: rotated.body.id } });

    // A person's own session.
    const phone = await sessionOf(founder.id, tenantId);
    await expectAudited(await owner.call('DELETE', `/api/v1/sessions/${phone.sessionId}`), tenantId, { action: 'session.revoked', actor: user(founder.id), target: { type: 'session', id: phone.sessionId } });

    // Tenant switch: recorded in the tenant switched to.
    const second = await cp.tenant(unique('second'));
    await cp.member(second.tenantId, founderEmail, 'viewer');
    const switched = await owner.call('POST', '/api/account/switch-tenant', { tenantId: second.tenantId });
    await expectAudited(switched, second.tenantId, { action: 'session.tenant_switched', actor: user(founder.id), target: { type: 'session', id: owner.sessionId } });
    expect((await owner.call('POST', '/api/account/switch-tenant', { tenantId })).status).toBe(204);

    // Member removed (by the owner; the invitee's key is revoked with them).
    const removed = await owner.call('DELETE', `/api/v1/members/${inviteeMembership.id}`);
    const removal = await expectAudited(removed, tenantId, { action: 'member.removed', actor: user(founder.id), target: { type: 'membership', id: inviteeMembership.id } });
    // Their key, and the key it made (still in its rotation grace period), are revoked with them.
    expect((removal.after as { revokedApiKeys: string[] }).revokedApiKeys.sort()).toEqual([created.body.id, byKey.body.id].sort());

    // Password reset: a person's, not a tenant's, so in the global chain.
    const requested = await call('POST', '/api/account/password-reset', { email: founderEmail }, { origin: cp.url });
    await expectAudited(requested, null, { action: 'user.password_reset_requested', actor: { type: 'system', id: 'account' }, target: { type: 'user', id: founder.id } });
    const resetToken = await linkIn(founderEmail, 'reset-password');
    secrets.push(resetToken);
    const newPassword = 'the new founder password';
    secrets.push(newPassword);
    const confirmed = await call('POST', '/api/account/password-reset/confirm', { token: resetToken, password: newPassword }, { origin: cp.url });
    await expectAudited(confirmed, null, { action: 'user.password_reset', actor: user(founder.id), target: { type: 'user', id: founder.id } });

    // The API shows the same events with the same request ids.
    const listed = await apiClient(cp.url, created.body.secret)('GET', '/api/v1/audit?limit=200');
    expect(listed.status).toBe(401); // the invitee's key was revoked with them
    const admin = await signedInMember(tenantId, 'admin');
    const trail = await admin.call('GET', '/api/v1/audit?limit=200');
    expect(trail.status).toBe(200);
    const fromApi = trail.body.data.find((e: { action: string }) => e.action === 'member.role_changed');
    expect(fromApi).toMatchObject({ requestId: roleChange.headers.get('x-request-id'), actor: { type: 'user', id: founder.id, email: founderEmail }, target: { type: 'membership', id: inviteeMembership.id } });

    // No secret anywhere in the trail, nor a key's hash.
    const keyHashes = (await cp.db.apiKey.findMany({ where: { tenantId } })).map((k) => k.hash);
    const resetHashes = (await cp.db.passwordResetToken.findMany()).map((r) => r.tokenHash);
    const passwordHashes = (await cp.db.user.findMany()).map((u) => u.passwordHash).filter((h): h is string => Boolean(h));
    const everything = json(await cp.db.auditEvent.findMany()) + json((await call('GET', '/api/v1/audit/export?format=jsonl', undefined, { cookie: admin.cookie })).body);
    for (const secret of [...secrets, ...keyHashes, ...resetHashes, ...passwordHashes]) expect(everything).not.toContain(secret);

    expect((await admin.call('GET', '/api/v1/audit/verify')).body).toMatchObject({ ok: true, firstBroken: null });
  });

  it('redacts values under secret-sounding names, but keeps flags and counts readable', async () => {
    const t = await freshTenant('redact');
    await cp.db.$transaction((tx) =>
      recordAudit(tx, { tenantId: t.tenantId, actor: { type: 'system' }, action: 'test.redaction', target: { type: 'test' }, after: { clientSecret: 'hunter2-value', clientSecretChanged: true, tokenCount: 3, nested: [{ password: 'pw-value' }] } }),
    );
    const event = await cp.db.auditEvent.findFirstOrThrow({ where: { tenantId: t.tenantId, action: 'test.redaction' } });
    expect(event.after).toEqual({ clientSecret: '[redacted]', clientSecretChanged: true, tokenCount: 3, nested: [{ password: '[redacted]' }] });
  });

  it('is readable only with audit.read', async () => {
    const t = await freshTenant('read');
    const dev = await signedInMember(t.tenantId, 'developer');
    for (const path of ['/api/v1/audit', '/api/v1/audit/verify', '/api/v1/audit/export?format=csv']) {
      const res = await dev.call('GET', path);
      expect(res.status, path).toBe(403);
      expect(res.body.permission).toBe('audit.read');
    }
  });
});

describe('verify', () => {
  let t: Awaited<ReturnType<typeof freshTenant>>;
  let target: { id: string; seq: bigint };
  let lastSeq: bigint;
  const verify = async () => {
    const res = await t.key('GET', '/api/v1/audit/verify');
    expect(res.status).toBe(200);
    return res.body as { ok: boolean; checked: number; headSeq: number; firstBroken: { seq: number; id: string | null; reason: string } | null };
  };
  const backup = `audit_backup_${Date.now().toString(36)}`;
  const restore = (column: string) => cp.db.$executeRawUnsafe(`UPDATE "AuditEvent" a SET "${column}" = b."${column}" FROM "${backup}" b WHERE a."id" = b."id"`);

  beforeAll(async () => {
    t = await freshTenant('verify');
    const member = await cp.member(t.tenantId, `${unique('m')}@verify.test`, 'developer');
    const headers = { 'x-forwarded-for': '198.51.100.7', 'user-agent': 'verify-test/1.0' };
    const changed = await t.owner.call('PATCH', `/api/v1/members/${member.membershipId}`, { role: 'viewer' }, headers);
    expect(changed.status).toBe(200);
    expect((await t.owner.call('POST', '/api/v1/api-keys', { name: 'after', scopes: ['workflows.read'] })).status).toBe(201);
    const events = await cp.db.auditEvent.findMany({ where: { chain: t.tenantId }, orderBy: { seq: 'asc' } });
    const event = events.find((e) => e.action === 'member.role_changed')!;
    expect(event).toMatchObject({ ip: '198.51.100.7', userAgent: 'verify-test/1.0', requestId: changed.headers.get('x-request-id') });
    expect(event.before).not.toBeNull();
    expect(event.seq).toBeLessThan(events.at(-1)!.seq);
    target = { id: event.id, seq: event.seq };
    lastSeq = events.at(-1)!.seq;
    await cp.db.$executeRawUnsafe(`CREATE TABLE "${backup}" AS SELECT * FROM "AuditEvent" WHERE "chain" = $1`, t.tenantId);
  });
  afterAll(() => cp?.db.$executeRawUnsafe(`DROP TABLE IF EXISTS "${backup}"`));

  it('is ok on an untouched chain', async () => {
    expect(await verify()).toEqual({ ok: true, checked: Number(lastSeq), headSeq: Number(lastSeq), firstBroken: null });
  });

  const tampering: [column: string, value: string][] = [
    ['action', `'member.added'`],
    ['actorId', `'usr_someone_else'`],
    ['targetId', `'mem_someone_else'`],
    ['before', `jsonb_set("before", '{role}', '"owner"')`],
    ['after', `jsonb_set("after", '{role}', '"owner"')`],
    ['ip', `'203.0.113.66'`],
    ['userAgent', `'curl/8.0'`],
    ['requestId', `'req_forged'`],
    ['createdAt', `"createdAt" - interval '1 hour'`],
    ['tenantId', 'NULL'],
    ['prevHash', `repeat('a', 64)`],
    ['hash', `repeat('b', 64)`],
    ['seq', `"seq" + 1000000`],
    ['actorType', `'system'`],
    ['targetType', `'tenant'`],
    ['chain', `'global'`],
  ];
  it.each(tampering)('reports an edited %s at that event, and is ok again once restored', async (column, value) => {
    const edited = await cp.db.$executeRawUnsafe(`UPDATE "AuditEvent" SET "${column}" = ${value} WHERE "id" = $1`, target.id);
    expect(edited).toBe(1);
    const result = await verify();
    expect(result.ok).toBe(false);
    expect(result.firstBroken?.seq).toBe(Number(target.seq));
    // A changed seq or chain takes the event out of its place: reported as a gap.
    expect(result.firstBroken?.id).toBe(['seq', 'chain'].includes(column) ? null : target.id);
    expect(result.firstBroken?.reason).toEqual(expect.any(String));
    await restore(column);
    expect(await verify()).toMatchObject({ ok: true, firstBroken: null });
  });

  it('reports an event moved to another tenant', async () => {
    const other = await cp.tenant(unique('elsewhere'));
    await cp.db.$executeRawUnsafe(`UPDATE "AuditEvent" SET "tenantId" = $2 WHERE "id" = $1`, target.id, other.tenantId);
    expect((await verify()).firstBroken).toMatchObject({ seq: Number(target.seq), id: target.id });
    await restore('tenantId');
    expect((await verify()).ok).toBe(true);
  });

  it('reports an event deleted from the middle, the end or the start', async () => {
    for (const seq of [target.seq, lastSeq, 1n]) {
      await cp.db.$executeRawUnsafe(`DELETE FROM "AuditEvent" WHERE "chain" = $1 AND "seq" = $2`, t.tenantId, seq);
      const result = await verify();
      expect(result.ok, `after deleting #${seq}`).toBe(false);
      expect(result.firstBroken?.seq).toBe(Number(seq));
      await cp.db.$executeRawUnsafe(`INSERT INTO "AuditEvent" SELECT * FROM "${backup}" WHERE "seq" = $1`, seq);
      expect((await verify()).ok).toBe(true);
    }
  });
});

describe('reading the trail', () => {
  let t: Awaited<ReturnType<typeof freshTenant>>;
  let admin: Awaited<ReturnType<typeof signedInMember>>;
  let all: Awaited<ReturnType<typeof cp.db.auditEvent.findMany>>;
  const get = (path: string) => t.key('GET', path);

  beforeAll(async () => {
    t = await freshTenant('read');
    admin = await signedInMember(t.tenantId, 'admin', `${unique('Admin')}@read.test`.toLowerCase());
    const dev = await cp.member(t.tenantId, `${unique('dev')}@read.test`, 'developer');
    const steps: (() => Promise<Response>)[] = [
      () => t.owner.call('POST', '/api/v1/invitations', { email: `${unique('guest')}@read.test`, role: 'viewer' }),
      () => t.owner.call('PATCH', `/api/v1/members/${dev.membershipId}`, { role: 'operator' }),
      () => admin.call('POST', '/api/v1/api-keys', { name: 'admin key', scopes: ['runs.read'] }, { 'user-agent': 'Mozilla/5.0 (X11, Linux x86_64) "quoted"' }),
      () => admin.call('PATCH', `/api/v1/members/${dev.membershipId}`, { role: 'viewer' }, { 'user-agent': '=HYPERLINK("https://evil.example","click")' }),
      () => t.owner.call('POST', '/api/v1/api-keys', { name: 'owner key', scopes: ['runs.read'] }, { 'user-agent': '@SUM(1+1)', 'x-request-id': '+cmd|calc' }),
      () => t.owner.call('DELETE', `/api/v1/members/${dev.membershipId}`, undefined, { 'user-agent': '-2+3' }),
    ];
    for (const step of steps) {
      const res = await step();
      expect(res.status, json(res.body)).toBeLessThan(300);
      await new Promise((r) => setTimeout(r, 15)); // distinct timestamps for the time filters
    }
    all = await cp.db.auditEvent.findMany({ where: { chain: t.tenantId }, orderBy: { seq: 'desc' } });
    expect(all.length).toBeGreaterThanOrEqual(10);
  });

  const seqs = (data: { seq: number }[]) => data.map((e) => e.seq);
  const expectedSeqs = (keep: (e: (typeof all)[number]) => boolean) => all.filter(keep).map((e) => Number(e.seq));

  it('filters by actor: an email, a typed id, or the system', async () => {
    const byEmail = await get(`/api/v1/audit?actor=${encodeURIComponent(admin.email.toUpperCase())}&limit=200`);
    expect(byEmail.status).toBe(200);
    expect(byEmail.body.data.length).toBe(2);
    expect(seqs(byEmail.body.data)).toEqual(expectedSeqs((e) => e.actorType === 'user' && e.actorId === admin.userId));
    for (const e of byEmail.body.data) expect(e.actor).toEqual({ type: 'user', id: admin.userId, email: admin.email });

    const byId = await get(`/api/v1/audit?actor=user:${t.userId}&limit=200`);
    expect(seqs(byId.body.data)).toEqual(expectedSeqs((e) => e.actorType === 'user' && e.actorId === t.userId));
    expect(byId.body.data.length).toBeGreaterThanOrEqual(4);

    const bySystem = await get('/api/v1/audit?actor=system&limit=200');
    expect(seqs(bySystem.body.data)).toEqual(expectedSeqs((e) => e.actorType === 'system'));
    expect(bySystem.body.data.map((e: { action: string }) => e.action)).toContain('tenant.created');

    expect((await get('/api/v1/audit?actor=nobody%40nowhere.test')).body.data).toEqual([]);
  });

  it('filters by action (exact or prefix) and by target type', async () => {
    const prefix = await get('/api/v1/audit?action=member.&limit=200');
    expect(seqs(prefix.body.data)).toEqual(expectedSeqs((e) => e.action.startsWith('member.')));
    expect(new Set(prefix.body.data.map((e: { action: string }) => e.action))).toEqual(new Set(['member.added', 'member.role_changed', 'member.removed']));
    const exact = await get('/api/v1/audit?action=member.role_changed&limit=200');
    expect(seqs(exact.body.data)).toEqual(expectedSeqs((e) => e.action === 'member.role_changed'));
    expect(exact.body.data).toHaveLength(2);
    expect((await get('/api/v1/audit?action=member')).body.data).toEqual([]);

    const keys = await get('/api/v1/audit?targetType=api_key&limit=200');
    expect(seqs(keys.body.data)).toEqual(expectedSeqs((e) => e.targetType === 'api_key'));
    expect(keys.body.data.length).toBe(3);
    for (const e of keys.body.data) expect(e.target.type).toBe('api_key');
  });

  it('filters by time, both ends included', async () => {
    const ascending = [...all].reverse();
    const from = ascending[3]!.createdAt;
    const to = ascending[ascending.length - 3]!.createdAt;
    const res = await get(`/api/v1/audit?from=${from.toISOString()}&to=${to.toISOString()}&limit=200`);
    expect(res.status).toBe(200);
    const expected = expectedSeqs((e) => e.createdAt >= from && e.createdAt <= to);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(all.length);
    expect(seqs(res.body.data)).toEqual(expected);
    const onlyFrom = await get(`/api/v1/audit?from=${to.toISOString()}&limit=200`);
    expect(seqs(onlyFrom.body.data)).toEqual(expectedSeqs((e) => e.createdAt >= to));
  });

  it('pages with a cursor, newest first, without repeating or skipping an event', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: Response = await get(`/api/v1/audit?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...seqs(res.body.data));
      cursor = res.body.nextCursor;
      pages += 1;
      expect(pages).toBeLessThan(100);
    } while (cursor);
    expect(seen).toEqual(all.map((e) => Number(e.seq)));
    expect(new Set(seen).size).toBe(seen.length);
    expect(pages).toBe(Math.ceil(all.length / 2));

    const filtered: number[] = [];
    cursor = null;
    do {
      const res: Response = await get(`/api/v1/audit?action=member.&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      filtered.push(...seqs(res.body.data));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(filtered).toEqual(expectedSeqs((e) => e.action.startsWith('member.')));
    expect((await get('/api/v1/audit?cursor=bm90LWEtY3Vyc29y')).status).toBe(422);
  });

  it('exports every event as JSON Lines, oldest first', async () => {
    const res = await fetch(`${cp.url}/api/v1/audit/export?format=jsonl`, { headers: { authorization: `Bearer ${t.apiKey}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="audit-.*\.jsonl"/);
    const text = await res.text();
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.split('\n').slice(0, -1);
    const events = lines.map((line) => JSON.parse(line));
    expect(events.map((e) => e.seq)).toEqual([...all].reverse().map((e) => Number(e.seq)));
    expect(events.map((e) => e.id)).toEqual([...all].reverse().map((e) => e.id));
    expect(events.find((e) => e.action === 'member.role_changed')).toMatchObject({ actor: { type: 'user' }, target: { type: 'membership' }, before: { role: expect.any(String) }, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });

    const members = await (await fetch(`${cp.url}/api/v1/audit/export?format=jsonl&action=member.`, { headers: { authorization: `Bearer ${t.apiKey}` } })).text();
    expect(
      members
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).seq),
    ).toEqual(expectedSeqs((e) => e.action.startsWith('member.')).reverse());
  });

  it('exports CSV with a header, quoted cells and no formulas', async () => {
    const res = await fetch(`${cp.url}/api/v1/audit/export?format=csv`, { headers: { authorization: `Bearer ${t.apiKey}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const rows = parseCsv(await res.text());
    expect(rows[0]).toEqual([...AUDIT_CSV_COLUMNS]);
    expect(rows).toHaveLength(all.length + 1);
    const records = rows.slice(1).map((cells) => {
      expect(cells).toHaveLength(AUDIT_CSV_COLUMNS.length);
      return Object.fromEntries(AUDIT_CSV_COLUMNS.map((c, i) => [c, cells[i]!]));
    });
    expect(records.map((r) => Number(r.seq))).toEqual([...all].reverse().map((e) => Number(e.seq)));

    // A comma (and quotes) survive quoting intact.
    expect(records.map((r) => r.userAgent)).toContain('Mozilla/5.0 (X11, Linux x86_64) "quoted"');
    const keyRow = records.find((r) => r.action === 'api_key.created' && r.actorId === admin.userId)!;
    expect(JSON.parse(keyRow.after!)).toMatchObject({ name: 'admin key', scopes: ['runs.read'] });
    expect(keyRow.actorEmail).toBe(admin.email);

    // Nothing a spreadsheet would run as a formula.
    for (const record of records) {
      for (const [column, value] of Object.entries(record)) expect(value, `${column} of #${record.seq}`).not.toMatch(/^[=+\-@\t\r]/);
    }
    expect(records.map((r) => r.userAgent)).toEqual(expect.arrayContaining([`'=HYPERLINK("https://evil.example","click")`, `'@SUM(1+1)`, `'-2+3`]));
    expect(records.map((r) => r.requestId)).toContain(`'+cmd|calc`);
  });
});

describe('concurrency', () => {
  it('20 parallel changes in one tenant leave one gap-free chain that verifies', async () => {
    const t = await freshTenant('burst');
    const before = await cp.db.auditEvent.count({ where: { chain: t.tenantId } });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => t.key('POST', '/api/v1/api-keys', { name: `burst ${i}`, scopes: ['runs.read'] })));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));

    const events = await cp.db.auditEvent.findMany({ where: { chain: t.tenantId }, orderBy: { seq: 'asc' } });
    expect(events.map((e) => Number(e.seq))).toEqual(Array.from({ length: before + 20 }, (_, i) => i + 1));
    const created = events.filter((e) => e.action === 'api_key.created' && e.actorType === 'api_key');
    expect(new Set(created.map((e) => e.requestId))).toEqual(new Set(results.map((r) => r.headers.get('x-request-id'))));
    for (let i = 1; i < events.length; i++) expect(events[i]!.prevHash).toBe(events[i - 1]!.hash);
    const head = await cp.db.auditChainHead.findUniqueOrThrow({ where: { chain: t.tenantId } });
    expect(head).toMatchObject({ seq: events.at(-1)!.seq, hash: events.at(-1)!.hash });

    expect((await t.key('GET', '/api/v1/audit/verify')).body).toEqual({ ok: true, checked: before + 20, headSeq: before + 20, firstBroken: null });
  });

  it('parallel changes in different tenants and people keep every chain intact', async () => {
    const tenants = await Promise.all([freshTenant('par-a'), freshTenant('par-b'), freshTenant('par-c')]);
    await Promise.all(
      tenants.flatMap((t) => [
        ...Array.from({ length: 5 }, (_, i) => t.key('POST', '/api/v1/api-keys', { name: `k${i}`, scopes: ['runs.read'] })),
        ...Array.from({ length: 3 }, () => t.owner.call('POST', '/api/v1/invitations', { email: `${unique('x')}@par.test`, role: 'viewer' })),
      ]),
    );
    for (const t of tenants) {
      const result = (await t.key('GET', '/api/v1/audit/verify')).body;
      expect(result.ok, json(result)).toBe(true);
      expect(result.checked).toBe(await cp.db.auditEvent.count({ where: { chain: t.tenantId } }));
    }
  });
});
