import { newId } from '@orvanta/protocol';
import type { CallContext, RequestMeta } from '../auth/actor.ts';
import { actorPermissions, authorize } from '../auth/authorize.ts';
import { isRole, permissionsOfRole } from '../auth/permissions.ts';
import { recordAudit } from '../audit.ts';
import type { Db } from '../db/client.ts';
import { AppError } from '../errors.ts';
import { open, seal } from '../lib/secretbox.ts';

/**
 * Per-tenant single sign-on over OpenID Connect. A tenant admin sets the issuer, client id
 * and secret and the email domains it covers; people from those domains are routed to the
 * tenant's identity provider, and on their first sign-in become members with the default
 * role. The client secret is encrypted at rest and never returned.
 */

const PURPOSE = 'sso-client-secret';
export const ssoProviderId = (slug: string) => `sso-${slug}`;
const DOMAIN = /^(?=.{3,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export interface SsoInput {
  enabled: boolean;
  issuer: string;
  clientId: string;
  clientSecret?: string;
  domains: string[];
  defaultRole: string;
}

export const emailDomain = (email: string) => email.slice(email.lastIndexOf('@') + 1).toLowerCase();

function invalid(path: string, message: string, detail: string): AppError {
  return new AppError('validation_failed', 'Invalid SSO settings', detail, { errors: [{ path, message }] });
}

/** Fetches and checks the issuer's discovery document, so a typo is caught when saving. */
async function checkIssuer(issuer: string): Promise<void> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  let document: Record<string, unknown>;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5000), headers: { accept: 'application/json' }, redirect: 'error' });
    if (!response.ok) throw new Error(`it answered ${response.status}`);
    document = (await response.json()) as Record<string, unknown>;
  } catch (err) {
    throw invalid('issuer', 'discovery failed', `Could not read the OpenID configuration at ${url}: ${(err as Error).message}. Check the issuer URL.`);
  }
  if (document.issuer !== issuer && document.issuer !== issuer.replace(/\/$/, '')) {
    throw invalid('issuer', 'issuer mismatch', `The identity provider calls itself ${JSON.stringify(document.issuer)}, not ${JSON.stringify(issuer)}. Use exactly its issuer value.`);
  }
  for (const field of ['authorization_endpoint', 'token_endpoint', 'jwks_uri']) {
    if (typeof document[field] !== 'string') throw invalid('issuer', `no ${field}`, `The OpenID configuration at ${url} has no ${field}.`);
  }
}

export async function getSso(db: Db, call: CallContext) {
  authorize(call.actor, 'settings.read');
  const sso = await db.tenantSso.findUnique({ where: { tenantId: call.actor.tenantId }, include: { domains: true, tenant: true } });
  if (!sso) throw new AppError('not_found', 'SSO not configured', 'Single sign-on is not set up for this tenant. Configure it with PUT /api/v1/sso.');
  return sso;
}

export async function putSso(db: Db, call: CallContext, input: SsoInput, authSecret: string) {
  authorize(call.actor, 'settings.write');
  if (!isRole(input.defaultRole) || input.defaultRole === 'owner') {
    throw invalid('defaultRole', 'not allowed', 'The default role for SSO sign-ins must be one of admin, developer, operator, viewer, billing.');
  }
  const missing = permissionsOfRole(input.defaultRole).filter((p) => !actorPermissions(call.actor).includes(p));
  if (missing.length > 0) throw new AppError('forbidden', 'Permission denied', `You cannot make ${input.defaultRole} the default role: it has permissions you do not hold (${missing.join(', ')}).`, { permission: missing[0] });
  const domains = [...new Set(input.domains.map((d) => d.trim().toLowerCase()).filter(Boolean))];
  domains.forEach((d, i) => {
    if (!DOMAIN.test(d)) throw invalid(`domains[${i}]`, 'not a domain', `${JSON.stringify(d)} is not an email domain such as example.com.`);
  });
  const issuerUrl = new URL(input.issuer);
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(issuerUrl.hostname);
  if (issuerUrl.protocol !== 'https:' && !local) throw invalid('issuer', 'must be https', 'The issuer must be an https:// URL.');
  await checkIssuer(input.issuer);

  const tenantId = call.actor.tenantId;
  return db.$transaction(async (tx) => {
    const taken = await tx.ssoDomain.findMany({ where: { domain: { in: domains }, tenantId: { not: tenantId } } });
    if (taken.length > 0) {
      throw new AppError('conflict', 'Domain in use', `${taken.map((t) => t.domain).join(', ')} already sign${taken.length > 1 ? '' : 's'} in through another tenant's SSO.`);
    }
    const before = await tx.tenantSso.findUnique({ where: { tenantId }, include: { domains: true } });
    if (!before && !input.clientSecret) throw invalid('clientSecret', 'required', 'Give the client secret the identity provider issued for Orvanta.');
    const data = {
      enabled: input.enabled,
      issuer: input.issuer,
      clientId: input.clientId,
      defaultRole: input.defaultRole,
      ...(input.clientSecret ? { clientSecretEnc: seal(input.clientSecret, authSecret, PURPOSE) } : {}),
    };
    await tx.tenantSso.upsert({ where: { tenantId }, create: { tenantId, ...data }, update: data });
    await tx.ssoDomain.deleteMany({ where: { tenantId } });
    await tx.ssoDomain.createMany({ data: domains.map((domain) => ({ domain, tenantId })) });
    const view = (s: { enabled: boolean; issuer: string; clientId: string; defaultRole: string } | null, ds: string[]) => (s ? { enabled: s.enabled, issuer: s.issuer, clientId: s.clientId, defaultRole: s.defaultRole, domains: ds } : null);
    await recordAudit(tx, {
      tenantId,
      actor: call.actor,
      action: before ? 'sso.updated' : 'sso.configured',
      target: { type: 'sso', id: tenantId },
      before: view(before, before?.domains.map((d) => d.domain) ?? []),
      after: { ...view(data, domains), clientSecretChanged: Boolean(input.clientSecret) },
      meta: call.meta,
    });
    return tx.tenantSso.findUniqueOrThrow({ where: { tenantId }, include: { domains: true, tenant: true } });
  });
}

export async function deleteSso(db: Db, call: CallContext): Promise<void> {
  authorize(call.actor, 'settings.write');
  await db.$transaction(async (tx) => {
    const sso = await tx.tenantSso.findUnique({ where: { tenantId: call.actor.tenantId } });
    if (!sso) throw new AppError('not_found', 'SSO not configured', 'Single sign-on is not set up for this tenant.');
    await tx.tenantSso.delete({ where: { tenantId: sso.tenantId } });
    await recordAudit(tx, { tenantId: sso.tenantId, actor: call.actor, action: 'sso.removed', target: { type: 'sso', id: sso.tenantId }, before: { issuer: sso.issuer, clientId: sso.clientId }, meta: call.meta });
  });
}

/** The tenant whose enabled SSO covers this email's domain, if any. */
export async function ssoTenantForEmail(db: Db, email: string) {
  const domain = await db.ssoDomain.findUnique({ where: { domain: emailDomain(email) }, include: { sso: { include: { tenant: true } } } });
  if (!domain?.sso.enabled) return null;
  return { tenantId: domain.tenantId, slug: domain.sso.tenant.slug, name: domain.sso.tenant.name, providerId: ssoProviderId(domain.sso.tenant.slug) };
}

/** What the sign-in flow needs to talk to a tenant's identity provider. */
export async function ssoClientFor(db: Db, slug: string, authSecret: string) {
  const tenant = await db.tenant.findUnique({ where: { slug }, include: { sso: true } });
  if (!tenant?.sso?.enabled || !tenant.sso.clientSecretEnc) return null;
  return { tenantId: tenant.id, tenantName: tenant.name, issuer: tenant.sso.issuer, clientId: tenant.sso.clientId, clientSecret: open(tenant.sso.clientSecretEnc, authSecret, PURPOSE) };
}

/**
 * Signs a person in through their tenant's SSO: the verified email must belong to one of
 * the tenant's domains; first-timers get an account and a membership with the default role.
 */
export async function ssoSignIn(db: Db, slug: string, profile: { email?: unknown; email_verified?: unknown; name?: unknown }, meta: RequestMeta) {
  const email = typeof profile.email === 'string' ? profile.email.trim().toLowerCase() : '';
  if (!email) throw new Error('sso_email_missing');
  if (profile.email_verified === false) throw new Error('sso_email_unverified');
  const tenant = await db.tenant.findUnique({ where: { slug }, include: { sso: { include: { domains: true } } } });
  if (!tenant?.sso?.enabled) throw new Error('sso_not_configured');
  if (!tenant.sso.domains.some((d) => d.domain === emailDomain(email))) throw new Error('sso_domain_mismatch');
  const sso = tenant.sso;
  return db.$transaction(async (tx) => {
    let user = await tx.user.findUnique({ where: { email } });
    if (!user) {
      const name = typeof profile.name === 'string' && profile.name.trim() ? profile.name.trim() : email;
      user = await tx.user.create({ data: { id: newId('usr'), email, name, passwordHash: null } });
    }
    const actor = { type: 'user' as const, id: user.id };
    let membership = await tx.membership.findUnique({ where: { tenantId_userId: { tenantId: tenant.id, userId: user.id } } });
    if (!membership) {
      membership = await tx.membership.create({ data: { id: newId('mem'), tenantId: tenant.id, userId: user.id, role: sso.defaultRole } });
      await recordAudit(tx, { tenantId: tenant.id, actor, action: 'member.added', target: { type: 'membership', id: membership.id }, after: { userId: user.id, email, role: sso.defaultRole, via: 'sso' }, meta });
    }
    await tx.user.update({ where: { id: user.id }, data: { lastSignInAt: new Date() } });
    return { user, tenantId: tenant.id };
  });
}
