import { ROLE_PERMISSIONS, ROLES } from '@/server/auth/permissions';

/** Every role, in the registry's order (most powerful first). */
export const ALL_ROLES: readonly string[] = ROLES;

/**
 * The roles the caller may hand out: only an owner grants `owner`, and nobody grants a role
 * with permissions they do not hold themselves (the API answers 403 to both).
 */
export function assignableRoles(callerRole: string, callerPermissions: readonly string[]): string[] {
  return ROLES.filter((role) => (role !== 'owner' || callerRole === 'owner') && (ROLE_PERMISSIONS[role] as readonly string[]).every((p) => callerPermissions.includes(p)));
}
