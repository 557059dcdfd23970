import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '@orvanta/devstack';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksum, migrate, MigrationError, type Plane } from '../src/index.ts';
import { diffSchemas, isEmptyScript } from '../src/new-migration.ts';
import { migrationsDir, schemaPath, snapshotPath } from '../src/paths.ts';

const SERVER_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** Every model of the plane's schema.prisma, plus Prisma's bookkeeping table. */
const EXPECTED_TABLES = Object.fromEntries(
  await Promise.all(
    (['control', 'dataplane'] as const).map(async (plane) => {
      const models = [...(await readFile(schemaPath(plane), 'utf8')).matchAll(/^model (\w+) \{/gm)].map((m) => m[1]!);
      return [plane, [...models, '_prisma_migrations'].sort()];
    }),
  ),
) as Record<Plane, string[]>;

async function onDisk(plane: Plane, dir = migrationsDir(plane)): Promise<{ name: string; checksum: string }[]> {
  const names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  return Promise.all(names.map(async (name) => ({ name, checksum: checksum(await readFile(join(dir, name, 'migration.sql'), 'utf8')) })));
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

const tables = async (url: string) =>
  (await query<{ tablename: string }>(url, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename COLLATE "C"`)).map((r) => r.tablename);

/** Fresh databases on the local server, dropped after the file. */
const created: string[] = [];
async function freshDatabase(label: string): Promise<string> {
  const name = `test_migrate_${label}_${randomBytes(4).toString('hex')}`;
  await query(SERVER_URL, `CREATE DATABASE "${name}"`);
  created.push(name);
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return url.toString();
}
afterAll(async () => {
  for (const name of created) await query(SERVER_URL, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
});

describe('migrate() on a Postgres server', () => {
  const urls = {} as Record<Plane, string>;
  beforeAll(async () => {
    urls.control = await freshDatabase('control');
    urls.dataplane = await freshDatabase('dataplane');
  });

  it.each(['control', 'dataplane'] as const)('applies every %s migration and records it as prisma migrate deploy does', async (plane) => {
    const lines: string[] = [];
    const { applied } = await migrate({ connectionString: urls[plane], plane, log: (l) => lines.push(l) });
    const expected = await onDisk(plane);
    expect(applied).toEqual(expected.map((m) => m.name));
    expect(lines).toEqual(expected.map((m) => `applying ${m.name}`));
    expect(await tables(urls[plane])).toEqual(EXPECTED_TABLES[plane]);

    const rows = await query(urls[plane], 'SELECT * FROM _prisma_migrations ORDER BY started_at');
    expect(rows).toEqual(
      expected.map((m) => ({
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
        checksum: m.checksum,
        finished_at: expect.any(Date),
        migration_name: m.name,
        logs: null,
        rolled_back_at: null,
        started_at: expect.any(Date),
        applied_steps_count: 1,
      })),
    );
    // Every connection closed: only ours is left on the database.
    const others = await query(urls[plane], 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    expect(others[0]!.n).toBe(0);
  });

  it('applies nothing the second time', async () => {
    expect(await migrate({ connectionString: urls.control, plane: 'control' })).toEqual({ applied: [] });
    expect(await migrate({ connectionString: urls.dataplane, plane: 'dataplane' })).toEqual({ applied: [] });
  });

  it('refuses a migration whose checksum changed after it was applied', async () => {
    const [first] = await onDisk('control');
    await query(urls.control, `UPDATE _prisma_migrations SET checksum = $1 WHERE migration_name = $2`, ['0'.repeat(64), first!.name]);
    const error = await migrate({ connectionString: urls.control, plane: 'control' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).migration).toBe(first!.name);
    expect((error as Error).message).toMatch(new RegExp(`migration ${first!.name} was changed after it was applied`));
    await query(urls.control, `UPDATE _prisma_migrations SET checksum = $1 WHERE migration_name = $2`, [first!.checksum, first!.name]);
  });

  it('names a failing migration, rolls its statements back, and blocks later runs', async () => {
    const url = await freshDatabase('broken');
    const dir = await mkdtemp(join(tmpdir(), 'orvanta-migrations-'));
    try {
      await cp(migrationsDir('dataplane'), dir, { recursive: true });
      const broken = '29991231235959_broken';
      await mkdir(join(dir, broken));
      // The ";" inside the string would break a naive statement splitter.
      await writeFile(join(dir, broken, 'migration.sql'), `CREATE TABLE "Partial" (note TEXT DEFAULT 'a;b');\nSELECT * FROM "NoSuchTable";\n`);

      const error = await migrate({ connectionString: url, plane: 'dataplane', migrationsDir: dir }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MigrationError);
      expect((error as MigrationError).migration).toBe(broken);
      expect((error as Error).message).toMatch(/^migration 29991231235959_broken failed: .*NoSuchTable/);
      expect(await tables(url)).not.toContain('Partial');

      const again = await migrate({ connectionString: url, plane: 'dataplane', migrationsDir: dir }).catch((e: unknown) => e);
      expect((again as MigrationError).migration).toBe(broken);
      expect((again as Error).message).toMatch(/failed migrations/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('lets two migrators race: each migration is applied once', async () => {
    const url = await freshDatabase('race');
    const results = await Promise.all([migrate({ connectionString: url, plane: 'control' }), migrate({ connectionString: url, plane: 'control' })]);
    const expected = (await onDisk('control')).map((m) => m.name);
    expect(results.flatMap((r) => r.applied).sort()).toEqual(expected);
    expect(await query(url, 'SELECT migration_name FROM _prisma_migrations')).toHaveLength(expected.length);
  });
});

describe('migrate() on embedded PGlite', () => {
  it.each(['control', 'dataplane'] as const)('applies the %s migrations', async (plane) => {
    const server = await startEmbeddedPostgres({});
    try {
      const { applied } = await migrate({ connectionString: server.url, plane });
      const expected = await onDisk(plane);
      expect(applied).toEqual(expected.map((m) => m.name));
      expect(await tables(server.url)).toEqual(EXPECTED_TABLES[plane]);
      const rows = await query<{ migration_name: string; checksum: string; finished_at: Date | null }>(server.url, 'SELECT migration_name, checksum, finished_at FROM _prisma_migrations ORDER BY started_at');
      expect(rows.map((r) => [r.migration_name, r.checksum, r.finished_at !== null])).toEqual(expected.map((m) => [m.name, m.checksum, true]));
      expect(await migrate({ connectionString: server.url, plane })).toEqual({ applied: [] });
    } finally {
      await server.stop();
    }
  });
});

describe('new-migration', () => {
  it.each(['control', 'dataplane'] as const)('%s: schema.prisma has no changes missing from the migrations', async (plane) => {
    const diff = await diffSchemas(await readFile(snapshotPath(plane), 'utf8'), await readFile(schemaPath(plane), 'utf8'));
    expect(isEmptyScript(diff), `schema.prisma changed without a migration; run new-migration ${plane} <name>:\n${diff}`).toBe(true);
  });

  it('diffs a schema change into SQL without a database', async () => {
    const from = await readFile(snapshotPath('dataplane'), 'utf8');
    const sql = await diffSchemas(from, `${from}\nmodel Extra {\n  id String @id\n}\n`);
    expect(sql).toContain('CREATE TABLE "Extra"');
    expect(sql).not.toMatch(/DROP/);
  });
});
