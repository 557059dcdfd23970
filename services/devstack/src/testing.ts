// Fixtures for integration tests: each test file gets its own migrated database and its
// own Redis key prefix. With TEST_DATABASE_URL / TEST_REDIS_URL they live on real
// servers; without, on embedded ones (PGlite, a redis-server child), so `npm test` needs
// only Node.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { migrate, migrationsFingerprint, type Plane } from '@orvanta/migrate';
import { Redis } from 'ioredis';
import pg from 'pg';
import { servePGlite, startEmbeddedRedis } from './index.ts';

export interface TestDatabase {
  /** URL of a database migrated to the plane's latest schema, for this test file only. */
  url: string;
  /** Drops the database (or stops the embedded server). Safe to call twice. */
  drop(): Promise<void>;
  /** Set for an embedded database (see EmbeddedPostgres.poolMax); absent for a real server. */
  poolMax?: number;
}

export interface TestRedis {
  url: string;
  /** Put every key (BullMQ `prefix`, ioredis `keyPrefix`) under this; unique per call. */
  prefix: string;
  /** Deletes the prefix's keys (or stops the embedded server) and disconnects. */
  stop(): Promise<void>;
}

function suffix(): string {
  return randomBytes(5).toString('hex');
}

function env(name: string): string | undefined {
  const value = process.env[name];
  return value && value.trim() ? value.trim() : undefined;
}

/**
 * A fresh database for one plane, migrated with `migrate()`.
 *
 * TEST_DATABASE_URL set (a server URL, e.g. postgres://postgres@127.0.0.1:5432/postgres):
 * creates `test_<plane>_<random>` on that server. Otherwise: an in-memory PGlite.
 */
export async function createTestDatabase(plane: Plane): Promise<TestDatabase> {
  const serverUrl = env('TEST_DATABASE_URL');
  return serverUrl ? createServerDatabase(serverUrl, plane) : createEmbeddedDatabase(plane);
}

async function createServerDatabase(serverUrl: string, plane: Plane): Promise<TestDatabase> {
  const name = `test_${plane}_${suffix()}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let dropping: Promise<void> | undefined;
  // FORCE terminates whatever the test left connected (Postgres 13+).
  const drop = () => (dropping ??= admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  try {
    await migrate({ connectionString: url.toString(), plane });
  } catch (error) {
    await drop().catch(() => {});
    throw error;
  }
  return { url: url.toString(), drop };
}

// Booting PGlite and migrating costs seconds; loading a dump of an already migrated one
// costs ~0.5 s. Dumps are cached on disk, keyed by the migrations and the PGlite version,
// so only the first test process after a schema change pays.
const cacheDir = fileURLToPath(new URL('../../../node_modules/.cache/orvanta-devstack/', import.meta.url));
const templates = new Map<Plane, Promise<Blob>>();

async function pgliteVersion(): Promise<string> {
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const pkg = JSON.parse(await readFile(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

function template(plane: Plane): Promise<Blob> {
  let pending = templates.get(plane);
  if (!pending) {
    pending = buildTemplate(plane);
    pending.catch(() => templates.delete(plane));
    templates.set(plane, pending);
  }
  return pending;
}

async function buildTemplate(plane: Plane): Promise<Blob> {
  const file = join(cacheDir, `${plane}-${await migrationsFingerprint(plane)}-pglite-${await pgliteVersion()}.tar.gz`);
  const cached = await readFile(file).catch(() => undefined);
  if (cached) return new Blob([cached]);

  const db = await PGlite.create();
  const served = await servePGlite(db);
  let dump: Blob;
  try {
    await migrate({ connectionString: served.url, plane });
    dump = await db.dumpDataDir('gzip');
  } finally {
    await served.stop();
  }
  // Write-then-rename, so parallel test processes never read half a file. A cache that
  // cannot be written only costs time.
  const tmp = `${file}.${process.pid}.${suffix()}`;
  await mkdir(cacheDir, { recursive: true })
    .then(async () => writeFile(tmp, Buffer.from(await dump.arrayBuffer())))
    .then(() => rename(tmp, file))
    .catch(() => {});
  return dump;
}

async function createEmbeddedDatabase(plane: Plane): Promise<TestDatabase> {
  const db = await PGlite.create({ loadDataDir: await template(plane) });
  const served = await servePGlite(db);
  return { url: served.url, drop: served.stop, poolMax: served.poolMax };
}

/**
 * A Redis for one test file. TEST_REDIS_URL set: that server, with a unique key prefix
 * whose keys stop() deletes. Otherwise: an embedded redis-server child.
 */
export async function createTestRedis(): Promise<TestRedis> {
  const prefix = `test:${suffix()}:`;
  const serverUrl = env('TEST_REDIS_URL');
  if (!serverUrl) {
    const server = await startEmbeddedRedis();
    return { url: server.url, prefix, stop: server.stop };
  }
  let stopping: Promise<void> | undefined;
  return {
    url: serverUrl,
    prefix,
    stop: () => (stopping ??= deleteKeys(serverUrl, prefix)),
  };
}

async function deleteKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
