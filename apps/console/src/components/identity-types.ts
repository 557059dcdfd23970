/** The identity, RBAC, API key and audit shapes the console reads (docs/identity-api.md). */

export interface TenantRef {
  id: string;
  slug: string;
  name: string;
}

export interface Membership {
  tenantId: string;
  slug: string;
  name: string;
  role: string;
}

export interface Actor {
  type: string;
  id: string | null;
  email?: string | null;
}

export interface Me {
  actor: Actor;
  user: { id: string; email: string; name: string } | null;
  tenant: TenantRef;
  role: string | null;
  permissions: string[];
  memberships: Membership[];
}

export interface Member {
  id: string;
  userId: string;
  email: string;
  name: string;
  role: string;
  createdAt: string;
  you: boolean;
}

export interface Invitation {
  id: string;
  email: string;
  role: string;
  status: string;
  createdAt: string;
  expiresAt: string;
  invitedBy: { id: string; email: string | null } | null;
}

export type ApiKeyStatus = 'active' | 'expired' | 'revoked';

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  environment: string | null;
  rateLimitPerMinute: number | null;
  createdAt: string;
  createdBy: Actor | null;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  replacedById?: string | null;
  status: ApiKeyStatus;
}

export type CreatedApiKey = ApiKey & { secret: string; replaces?: string };

export interface ConsoleSessionInfo {
  id: string;
  tenantId: string;
  /** How the session signed in: `password` or `sso`. */
  method?: string;
  createdAt: string;
  lastSeenAt: string | null;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
  current: boolean;
}

export interface AuditEvent {
  id: string;
  seq: number;
  action: string;
  actor: Actor;
  target: { type: string; id: string | null };
  before: unknown;
  after: unknown;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  createdAt: string;
  hash: string;
  prevHash: string | null;
}

export interface AuditVerification {
  ok: boolean;
  checked: number;
  headSeq: number | null;
  firstBroken: { seq: number; id: string | null; reason: string } | null;
}

export interface SsoConfig {
  enabled: boolean;
  issuer: string;
  clientId: string;
  hasClientSecret: boolean;
  domains: string[];
  defaultRole: string;
  /** The contract's name for where people start signing in; the API may send `redirectUri` instead. */
  loginUrl?: string | null;
  /** The redirect (callback) URI to register at the identity provider. */
  redirectUri?: string;
  providerId?: string;
}

export interface PublicInvitation {
  tenant: { name: string; slug: string };
  email: string;
  role: string;
  expiresAt: string;
  accountExists: boolean;
}

export interface AcceptedInvitation {
  tenant: TenantRef;
  email: string;
}

export type SsoLookup = { sso: false } | { sso: true; providerId: string; tenant: { slug: string; name: string } };

export interface DevMailMessage {
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string | null;
  createdAt: string;
}

/** `true` when the caller holds `permission`. */
export const can = (permissions: readonly string[], permission: string): boolean => permissions.includes(permission);
