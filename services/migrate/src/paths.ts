import { fileURLToPath } from 'node:url';

export type Plane = 'control' | 'dataplane';
export const PLANES: readonly Plane[] = ['control', 'dataplane'];

// Resolved from this file, not the cwd, so `migrate()` works from any directory and from
// other packages' tests.
const prismaRoot = fileURLToPath(new URL('../../../prisma/', import.meta.url));

export function planeDir(plane: Plane): string {
  return `${prismaRoot}${plane}`;
}

export function migrationsDir(plane: Plane): string {
  return `${planeDir(plane)}/migrations`;
}

export function schemaPath(plane: Plane): string {
  return `${planeDir(plane)}/schema.prisma`;
}

/** The schema as of the newest migration; `new-migration` diffs from it. */
export function snapshotPath(plane: Plane): string {
  return `${migrationsDir(plane)}/schema.snapshot.prisma`;
}
