import { z } from '@hono/zod-openapi';
import { PERMISSIONS, ROLES } from '../auth/permissions.ts';

/** Request and response shapes of the identity routes (members, invitations, keys, sessions, audit, SSO). */

export const roleSchema = z.enum(ROLES).openapi({ description: 'A built-in role; see the permission matrix.' });
export const permissionSchema = z.enum(PERMISSIONS);
const email = z.email().max(254);

export const meSchema = z
  .object({
    actor: z.object({ type: z.enum(['user', 'api_key']), id: z.string() }),
    user: z.object({ id: z.string(), email: z.string(), name: z.string() }).nullable(),
    tenant: z.object({ id: z.string(), slug: z.string(), name: z.string() }),
    role: z.string().nullable(),
    permissions: z.array(z.string()),
    memberships: z.array(z.object({ tenantId: z.string(), slug: z.string(), name: z.string(), role: z.string() })),
  })
  .openapi('Me');

export const memberSchema = z
  .object({ id: z.string(), userId: z.string(), email: z.string(), name: z.string(), role: z.string(), createdAt: z.string(), you: z.boolean() })
  .openapi('Member');
export const memberListSchema = z.object({ data: z.array(memberSchema), nextCursor: z.string().nullable() }).openapi('MemberList');
export const memberPatchSchema = z.object({ role: roleSchema }).strict().openapi('MemberPatch');

export const invitationSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    role: z.string(),
    status: z.enum(['pending', 'accepted', 'revoked', 'expired']),
    createdAt: z.string(),
    expiresAt: z.string(),
    invitedBy: z.object({ id: z.string(), email: z.string().nullable() }).nullable(),
  })
  .openapi('Invitation');
export const invitationListSchema = z.object({ data: z.array(invitationSchema) }).openapi('InvitationList');
export const invitationBodySchema = z.object({ email, role: roleSchema }).strict().openapi('NewInvitation');

export const apiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().openapi({ description: 'The start of the secret, to tell keys apart.' }),
    scopes: z.array(z.string()),
    environment: z.string().nullable(),
    rateLimitPerMinute: z.number().int().nullable(),
    createdAt: z.string(),
    createdBy: z.object({ type: z.string(), id: z.string(), email: z.string().optional() }).nullable(),
    lastUsedAt: z.string().nullable(),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    replacedById: z.string().nullable(),
    status: z.enum(['active', 'expired', 'revoked']),
  })
  .openapi('ApiKey');
export const apiKeyListSchema = z.object({ data: z.array(apiKeySchema), nextCursor: z.string().nullable() }).openapi('ApiKeyList');
export const newApiKeySchema = apiKeySchema
  .extend({ secret: z.string().openapi({ description: 'The key itself. Shown once: store it now.' }), replaces: z.string().optional() })
  .openapi('NewApiKey');
export const apiKeyBodySchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    scopes: z.array(permissionSchema).min(1).max(50),
    expiresAt: z.iso.datetime({ offset: true }).optional(),
    environment: z.string().trim().min(1).max(64).regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes').optional(),
    rateLimitPerMinute: z.number().int().min(1).max(100_000).optional(),
  })
  .strict()
  .openapi('ApiKeyRequest');
export const rotateBodySchema = z
  .object({ gracePeriodSeconds: z.number().int().min(0).max(30 * 24 * 3600).default(24 * 3600).openapi({ description: 'How long the old key keeps working (0 = stop now).' }) })
  .strict()
  .openapi('ApiKeyRotation');

export const sessionSchema = z
  .object({ id: z.string(), tenantId: z.string(), method: z.string(), createdAt: z.string(), lastSeenAt: z.string(), expiresAt: z.string(), ip: z.string().nullable(), userAgent: z.string().nullable(), current: z.boolean() })
  .openapi('Session');
export const sessionListSchema = z.object({ data: z.array(sessionSchema) }).openapi('SessionList');

export const auditEventSchema = z
  .object({
    id: z.string(),
    seq: z.number().int(),
    action: z.string(),
    actor: z.object({ type: z.string(), id: z.string().nullable(), email: z.string().optional() }),
    target: z.object({ type: z.string(), id: z.string().nullable() }),
    before: z.unknown(),
    after: z.unknown(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    requestId: z.string().nullable(),
    createdAt: z.string(),
    prevHash: z.string(),
    hash: z.string(),
  })
  .openapi('AuditEvent');
export const auditListSchema = z.object({ data: z.array(auditEventSchema), nextCursor: z.string().nullable() }).openapi('AuditEventList');
export const auditFilterQuery = z.object({
  actor: z.string().max(200).optional().openapi({ description: '`user:<id>`, `api_key:<id>`, `system`, or an email' }),
  action: z.string().max(100).optional().openapi({ description: 'Exact action, or a prefix ending in "." such as `member.`' }),
  targetType: z.string().max(64).optional(),
  targetId: z.string().max(100).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});
export const auditVerifySchema = z
  .object({
    ok: z.boolean(),
    checked: z.number().int(),
    headSeq: z.number().int(),
    firstBroken: z.object({ seq: z.number().int(), id: z.string().nullable(), reason: z.string() }).nullable(),
  })
  .openapi('AuditVerification');

export const ssoSchema = z
  .object({
    enabled: z.boolean(),
    issuer: z.string(),
    clientId: z.string(),
    hasClientSecret: z.boolean(),
    domains: z.array(z.string()),
    defaultRole: z.string(),
    providerId: z.string(),
    redirectUri: z.string().openapi({ description: 'Register this redirect URI at the identity provider.' }),
  })
  .openapi('Sso');
export const ssoBodySchema = z
  .object({
    enabled: z.boolean().default(true),
    issuer: z.url().max(500),
    clientId: z.string().trim().min(1).max(200),
    clientSecret: z.string().min(1).max(500).optional().openapi({ description: 'Write-only; omit to keep the current one.' }),
    domains: z.array(z.string().max(253)).min(1).max(50),
    defaultRole: roleSchema.default('viewer'),
  })
  .strict()
  .openapi('SsoRequest');
