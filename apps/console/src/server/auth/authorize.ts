import { AppError } from '../errors.ts';
import type { Actor } from './actor.ts';
import { isPermission, permissionsOfRole, type Permission } from './permissions.ts';

/** A resource as far as authorization cares: which tenant owns it. */
export interface ResourceRef {
  tenantId: string;
}

/** Everything the actor may do: a person's role, or an API key's scopes. */
export function actorPermissions(actor: Actor): readonly Permission[] {
  return actor.type === 'user' ? permissionsOfRole(actor.role) : actor.scopes.filter(isPermission);
}

/**
 * The authorization choke point. Every route handler, server action and data-plane token
 * goes through it. A resource of another tenant is reported as not found, never as
 * forbidden, so ids cannot be probed.
 */
export function authorize(actor: Actor, permission: Permission, resource?: ResourceRef | null, notFoundDetail?: string): void {
  if (resource === null || (resource && resource.tenantId !== actor.tenantId)) {
    throw new AppError('not_found', 'Not found', notFoundDetail ?? 'The resource does not exist or is not visible to you.');
  }
  if (!actorPermissions(actor).includes(permission)) {
    throw new AppError('forbidden', 'Permission denied', `This action needs the "${permission}" permission, which ${actor.type === 'user' ? `the ${actor.role} role` : 'this API key'} does not have.`, { permission });
  }
}

/** For what only a person can do (their own sessions, accepting invitations). */
export function requirePerson(actor: Actor): asserts actor is Extract<Actor, { type: 'user' }> {
  if (actor.type !== 'user') {
    throw new AppError('forbidden', 'People only', 'This belongs to a signed-in person; an API key cannot use it.');
  }
}
