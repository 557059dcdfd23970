import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MigrationList } from '@prisma/schema-engine-wasm';

export const LOCKFILE = 'migration_lock.toml';
export const SCRIPT = 'migration.sql';

/**
 * Reads a migrations folder the way the Prisma CLI does before calling the schema engine:
 * every sub-directory is a migration, sorted by name; an unreadable script is passed on as
 * an error for the engine to report.
 */
export async function readMigrationsList(baseDir: string): Promise<MigrationList> {
  const lockContent = await readFile(join(baseDir, LOCKFILE), 'utf8').catch(() => null);
  const entries = await readdir(baseDir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  const dirs = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort((a, b) => a.localeCompare(b));
  const migrationDirectories = await Promise.all(
    dirs.map(async (name) => ({
      path: name,
      migrationFile: {
        path: SCRIPT,
        content: await readFile(join(baseDir, name, SCRIPT), 'utf8').then(
          (value) => ({ tag: 'ok' as const, value }),
          (error: Error) => ({ tag: 'error' as const, value: error.message }),
        ),
      },
    })),
  );
  return { baseDir, lockfile: { path: LOCKFILE, content: lockContent }, shadowDbInitScript: '', migrationDirectories };
}

/** The checksum Prisma stores in `_prisma_migrations.checksum`: SHA-256 of the script, hex. */
export function checksum(script: string): string {
  return createHash('sha256').update(script, 'utf8').digest('hex');
}

/**
 * Prisma accepts a script whose line endings changed since it was applied (a Windows
 * checkout), so we do too.
 */
export function checksumMatches(script: string, stored: string): boolean {
  const lf = script.replace(/\r\n/g, '\n');
  return [script, lf, lf.replace(/\n/g, '\r\n')].some((s) => checksum(s) === stored);
}

/**
 * Changes whenever a migration is added, removed or edited; for caches of migrated
 * databases (the devstack's embedded test templates).
 */
export async function migrationsFingerprint(baseDir: string): Promise<string> {
  const list = await readMigrationsList(baseDir);
  const hash = createHash('sha256');
  for (const dir of list.migrationDirectories) hash.update(`${dir.path}\0${dir.migrationFile.content.value}\0`);
  return hash.digest('hex').slice(0, 16);
}
