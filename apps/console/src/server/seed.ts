import { randomBytes } from 'node:crypto';
import { newId } from '@orvanta/protocol';
import { generateApiKey, hashApiKey } from './auth/api-keys.ts';
import { hashPassword, verifyPassword } from './auth/passwords.ts';
import { PERMISSIONS } from './auth/permissions.ts';
import { recordAudit } from './audit.ts';
import type { Db } from './db/client.ts';
import { issueEnrollmentToken, type DataPlaneSpec } from './dataplanes/service.ts';

export interface DemoTenantSpec {
  slug: string;
  name: string;
  email: string;
  ownerName: string;
}

export interface DemoCredentials {
  slug: string;
  email: string;
  password: string;
  apiKey: string;
}

const SYSTEM = { type: 'system' as const, id: 'seed' };

/**
 * Creates (or finds) a tenant with an owner login and an API key, for `npm start`, the
 * e2e suite and integration tests. Re-running it reuses what exists; a credential that
 * no longer works (password changed, key revoked) is replaced, and the change audited.
 */
export async function ensureTenant(db: Db, spec: DemoTenantSpec, homeDataPlaneId: string | null, saved?: Partial<DemoCredentials>): Promise<DemoCredentials & { tenantId: string; userId: string }> {
  return db.$transaction(async (tx) => {
    let tenant = await tx.tenant.findUnique({ where: { slug: spec.slug } });
    if (!tenant) {
      const home = homeDataPlaneId ? await tx.dataPlane.findUnique({ where: { id: homeDataPlaneId } }) : null;
      tenant = await tx.tenant.create({ data: { id: newId('ten'), slug: spec.slug, name: spec.name, homeDataPlaneId, homeRegion: home?.kind === 'shared' ? home.region : null } });
      await recordAudit(tx, { tenantId: tenant.id, actor: SYSTEM, action: 'tenant.created', target: { type: 'tenant', id: tenant.id }, after: { slug: spec.slug, name: spec.name } });
    } else if (homeDataPlaneId && tenant.homeDataPlaneId !== homeDataPlaneId) {
      const home = await tx.dataPlane.findUnique({ where: { id: homeDataPlaneId } });
      tenant = await tx.tenant.update({ where: { id: tenant.id }, data: { homeDataPlaneId, ...(home?.kind === 'shared' ? { homeRegion: home.region } : {}) } });
    }

    let user = await tx.user.findUnique({ where: { email: spec.email } });
    let password = saved?.password;
    if (!user || !password || !(await verifyPassword(password, user.passwordHash))) {
      password = randomBytes(12).toString('base64url');
      const passwordHash = await hashPassword(password);
      if (user) {
        user = await tx.user.update({ where: { id: user.id }, data: { passwordHash } });
        await recordAudit(tx, { tenantId: tenant.id, actor: SYSTEM, action: 'user.password_reset', target: { type: 'user', id: user.id } });
      } else {
        user = await tx.user.create({ data: { id: newId('usr'), email: spec.email, name: spec.ownerName, passwordHash } });
        await recordAudit(tx, { tenantId: tenant.id, actor: SYSTEM, action: 'user.created', target: { type: 'user', id: user.id }, after: { email: spec.email } });
      }
    }
    const membership = await tx.membership.findUnique({ where: { tenantId_userId: { tenantId: tenant.id, userId: user.id } } });
    if (!membership) {
      const m = await tx.membership.create({ data: { id: newId('mem'), tenantId: tenant.id, userId: user.id, role: 'owner' } });
      await recordAudit(tx, { tenantId: tenant.id, actor: SYSTEM, action: 'member.added', target: { type: 'membership', id: m.id }, after: { userId: user.id, role: 'owner' } });
    }

    let apiKey = saved?.apiKey;
    const existingKey = apiKey ? await tx.apiKey.findUnique({ where: { hash: hashApiKey(apiKey) } }) : null;
    if (!existingKey || existingKey.revokedAt || existingKey.tenantId !== tenant.id) {
      const key = generateApiKey();
      const id = newId('key');
      await tx.apiKey.create({ data: { id, tenantId: tenant.id, name: 'Demo key (npm start)', prefix: key.prefix, hash: key.hash, scopes: [...PERMISSIONS], createdByType: 'user', createdById: user.id, ownerUserId: user.id } });
      await recordAudit(tx, { tenantId: tenant.id, actor: SYSTEM, action: 'api_key.created', target: { type: 'api_key', id }, after: { name: 'Demo key (npm start)', prefix: key.prefix, scopes: PERMISSIONS } });
      apiKey = key.secret;
    }
    return { slug: spec.slug, email: spec.email, password, apiKey: apiKey!, tenantId: tenant.id, userId: user.id };
  });
}

/** Registers a data plane and returns a fresh one-time enrollment token for it. */
export async function ensureDataPlane(db: Db, spec: DataPlaneSpec): Promise<{ enrollmentToken: string }> {
  const { enrollmentToken } = await issueEnrollmentToken(db, spec, SYSTEM);
  return { enrollmentToken };
}
