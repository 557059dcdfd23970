import { AppError } from '../errors.ts';
import type { Actor } from './actor.ts';
import { roleHasPermission, type Permission } from './permissions.ts';

/** A resource as far as authorization cares: which tenant owns it. */
export interface ResourceRef {
  tenantId: string;
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
  const allowed = actor.type === 'user' ? roleHasPermission(actor.role, permission) : actor.scopes.includes(permission);
  if (!allowed) {
    throw new AppError('forbidden', 'Permission denied', `This action needs the "${permission}" permission, which ${actor.type === 'user' ? `the ${actor.role} role` : 'this API key'} does not have.`, { permission });
  }
}
