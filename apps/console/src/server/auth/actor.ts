import type { Permission } from './permissions.ts';

/** Who is making a request, already authenticated and scoped to one tenant. */
export type Actor =
  | { type: 'user'; id: string; tenantId: string; role: string; email: string; sessionId: string }
  | {
      type: 'api_key';
      id: string;
      tenantId: string;
      /** The key's scopes, narrowed to what its owner's current role allows. */
      scopes: readonly string[];
      rateLimitPerMinute: number | null;
      /** The person the key acts for; null for keys the system made. */
      ownerUserId: string | null;
      /** A key bound to an environment deploys and runs only there. */
      environment: string | null;
    };

export const actorRef = (actor: Actor) => `${actor.type}:${actor.id}`;

export interface RequestMeta {
  ip?: string;
  userAgent?: string;
  requestId?: string;
}

/**
 * Who sent an HTTP request, for the audit trail and per-address rate limits. The client
 * address is the X-Forwarded-For entry added by the outermost of our own proxies: with
 * `trustedProxyHops` proxies appending to the header, that is the hops-th entry from the
 * right (entries further left were written by the client and could say anything). Next's
 * server fills the header from the socket when no proxy did.
 */
export function requestMeta(headers: Headers, trustedProxyHops = 1): RequestMeta {
  const forwarded = (headers.get('x-forwarded-for') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const ip = forwarded.length ? forwarded[Math.max(0, forwarded.length - Math.max(1, trustedProxyHops))] : undefined;
  return {
    ip: ip?.slice(0, 64),
    userAgent: headers.get('user-agent')?.slice(0, 500) ?? undefined,
    requestId: headers.get('x-request-id')?.slice(0, 100) ?? undefined,
  };
}

export interface CallContext {
  actor: Actor;
  meta: RequestMeta;
}

export type { Permission };
