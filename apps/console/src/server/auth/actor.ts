import type { Permission } from './permissions.ts';

/** Who is making a request, already authenticated and scoped to one tenant. */
export type Actor =
  | { type: 'user'; id: string; tenantId: string; role: string; email: string; sessionId: string }
  | { type: 'api_key'; id: string; tenantId: string; scopes: readonly string[]; rateLimitPerMinute: number | null };

export const actorRef = (actor: Actor) => `${actor.type}:${actor.id}`;

export interface RequestMeta {
  ip?: string;
  userAgent?: string;
  requestId?: string;
}

/** Who sent an HTTP request, for the audit trail and rate limits. */
export function requestMeta(headers: Headers): RequestMeta {
  return {
    ip: headers.get('x-forwarded-for')?.split(',')[0]?.trim() || headers.get('x-real-ip') || undefined,
    userAgent: headers.get('user-agent')?.slice(0, 500) ?? undefined,
    requestId: headers.get('x-request-id')?.slice(0, 100) ?? undefined,
  };
}

export interface CallContext {
  actor: Actor;
  meta: RequestMeta;
}

export type { Permission };
