import { requestMeta } from '../src/server/auth/actor.ts';
import { describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey, isWellFormedApiKey } from '../src/server/auth/api-keys.ts';
import { authorize } from '../src/server/auth/authorize.ts';
import { hashPassword, verifyPassword } from '../src/server/auth/passwords.ts';
import { PERMISSIONS, ROLE_PERMISSIONS, ROLES } from '../src/server/auth/permissions.ts';
import { AppError } from '../src/server/errors.ts';

describe('API keys', () => {
  it('have a scannable prefix, a checksum, and are stored only as a hash', () => {
    const key = generateApiKey();
    expect(key.secret).toMatch(/^orv_[0-9A-Za-z]{36}$/);
    expect(key.prefix).toBe(key.secret.slice(0, 12));
    expect(key.hash).toBe(hashApiKey(key.secret));
    expect(key.hash).not.toContain(key.secret.slice(4));
    expect(isWellFormedApiKey(key.secret)).toBe(true);
  });

  it('refuses any single-character typo through the checksum', () => {
    const { secret } = generateApiKey();
    for (let i = 4; i < secret.length; i++) {
      const swapped = secret[i] === 'a' ? 'b' : 'a';
      expect(isWellFormedApiKey(secret.slice(0, i) + swapped + secret.slice(i + 1)), `typo at ${i}`).toBe(false);
    }
    expect(isWellFormedApiKey(`${secret}x`)).toBe(false);
    expect(isWellFormedApiKey(secret.replace('orv_', 'orx_'))).toBe(false);
  });

  it('are unique', () => {
    const keys = new Set(Array.from({ length: 200 }, () => generateApiKey().secret));
    expect(keys.size).toBe(200);
  });
});

describe('passwords', () => {
  it('hash with scrypt, verify, and reject wrong or missing hashes', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
    expect(await verifyPassword('correct horse battery stapler', hash)).toBe(false);
    expect(await verifyPassword('anything', null)).toBe(false);
    expect(await hashPassword('same')).not.toBe(await hashPassword('same'));
  });
});

describe('authorize', () => {
  const viewer = { type: 'user' as const, id: 'u1', tenantId: 't1', role: 'viewer', email: 'v@x.test', sessionId: 's1' };
  const key = { type: 'api_key' as const, id: 'k1', tenantId: 't1', scopes: ['runs.read'], rateLimitPerMinute: null, ownerUserId: null, environment: null };

  it('answers not found, never forbidden, for another tenant’s resource', () => {
    const err = (() => {
      try {
        authorize(viewer, 'workflows.write', { tenantId: 't2' });
      } catch (e) {
        return e as AppError;
      }
    })();
    expect(err?.code).toBe('not_found');
  });

  it('refuses a missing permission with 403 naming it', () => {
    expect(() => authorize(viewer, 'workflows.write', { tenantId: 't1' })).toThrow(/workflows\.write/);
    expect(() => authorize(key, 'runs.write')).toThrow(AppError);
    expect(() => authorize(key, 'runs.read', { tenantId: 't1' })).not.toThrow();
  });

  it('follows the one permission matrix for every role', () => {
    for (const role of ROLES) {
      const actor = { ...viewer, role };
      for (const permission of PERMISSIONS) {
        const allowed = (ROLE_PERMISSIONS[role] as readonly string[]).includes(permission);
        if (allowed) expect(() => authorize(actor, permission)).not.toThrow();
        else expect(() => authorize(actor, permission)).toThrow(/Permission|permission/);
      }
    }
    expect(() => authorize({ ...viewer, role: 'superuser' }, 'runs.read')).toThrow();
  });
});

describe('requestMeta', () => {
  const headers = (xff: string) => new Headers({ 'x-forwarded-for': xff, 'user-agent': 'ua' });

  it('takes the address our own proxy appended, not what the client wrote before it', () => {
    expect(requestMeta(headers('6.6.6.6, 203.0.113.9')).ip).toBe('203.0.113.9');
    expect(requestMeta(headers('6.6.6.6, 203.0.113.9, 10.0.0.2'), 2).ip).toBe('203.0.113.9');
  });

  it('uses the only entry there is (Next fills it from the socket when no proxy did)', () => {
    expect(requestMeta(headers('127.0.0.1')).ip).toBe('127.0.0.1');
    expect(requestMeta(headers('198.51.100.1'), 3).ip).toBe('198.51.100.1');
    expect(requestMeta(new Headers()).ip).toBeUndefined();
  });
});
