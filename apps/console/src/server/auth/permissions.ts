/**
 * The permission registry: the only source of truth for who may do what. Permissions are
 * `resource.action`; API key scopes use the same names.
 */
export const PERMISSIONS = [
  'workflows.read',
  'workflows.write',
  'runs.read',
  'runs.write',
  'members.read',
  'members.write',
  'api_keys.read',
  'api_keys.write',
  'audit.read',
  'billing.read',
  'billing.write',
  'data_planes.read',
  'data_planes.write',
  'settings.read',
  'settings.write',
  'secrets.read',
  'secrets.write',
  /** Reading the Trash: parked messages' metadata (their payloads stay on the data plane). */
  'trash.read',
  /** Deciding on Trash items: approve (optionally with an edited payload) or reject. */
  'trash.write',
  'deployments.write',
  /** Deploying to a protected environment (production): owners and admins. */
  'deployments.protected',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = ['owner', 'admin', 'developer', 'operator', 'viewer', 'billing'] as const;
export type Role = (typeof ROLES)[number];

const READ_ALL: Permission[] = ['workflows.read', 'runs.read', 'members.read', 'data_planes.read', 'trash.read'];

export const ROLE_PERMISSIONS = {
  owner: [...PERMISSIONS],
  admin: PERMISSIONS.filter((p) => p !== 'billing.write'),
  developer: [...READ_ALL, 'workflows.write', 'runs.write', 'trash.write', 'deployments.write', 'api_keys.read', 'api_keys.write', 'secrets.read', 'secrets.write'],
  operator: [...READ_ALL, 'runs.write', 'trash.write'],
  viewer: READ_ALL,
  billing: ['members.read', 'billing.read', 'billing.write'],
} satisfies Record<Role, readonly Permission[]>;

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

export function permissionsOfRole(role: string): readonly Permission[] {
  return isRole(role) ? ROLE_PERMISSIONS[role] : [];
}

export function roleHasPermission(role: string, permission: Permission): boolean {
  return permissionsOfRole(role).includes(permission);
}
