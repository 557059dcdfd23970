import type { Permission } from './permissions.ts';

/** Who is making a request, already authenticated and scoped to one tenant. */
export type Actor =
  | { type: 'user'; id: string; tenantId: string; role: string; email: string }
  | { type: 'api_key'; id: string; tenantId: string; scopes: readonly string[] };

export const actorRef = (actor: Actor) => `${actor.type}:${actor.id}`;

export interface RequestMeta {
  ip?: string;
  userAgent?: string;
  requestId?: string;
}

export interface CallContext {
  actor: Actor;
  meta: RequestMeta;
}

export type { Permission };
