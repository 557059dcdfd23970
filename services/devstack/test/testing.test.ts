import { Redis } from 'ioredis';
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, createTestRedis } from '../src/testing.ts';

const SERVER_DB = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const SERVER_REDIS = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';

async function sql<T extends pg.QueryResultRow>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

const migrated = (url: string) =>
  sql<{ migration_name: string }>(url, 'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL').then((rows) => rows.length > 0);

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('createTestDatabase', () => {
  it('server mode: creates a migrated database per call and drops it, connections and all', async () => {
    vi.stubEnv('TEST_DATABASE_URL', SERVER_DB);
    const [control, dataplane] = await Promise.all([createTestDatabase('control'), createTestDatabase('dataplane')]);
    const name = new URL(control.url).pathname.slice(1);
    expect(name).toMatch(/^test_control_[0-9a-f]+$/);
    expect(new URL(dataplane.url).pathname).toMatch(/^\/test_dataplane_[0-9a-f]+$/);
    expect(await migrated(control.url)).toBe(true);
    expect(await sql(dataplane.url, `SELECT 1 FROM "OutboxEvent"`)).toEqual([]);

    const leftOpen = new pg.Client({ connectionString: control.url });
    await leftOpen.connect();
    leftOpen.on('error', () => {});
    await Promise.all([control.drop(), dataplane.drop()]);
    await leftOpen.end().catch(() => {});
    expect(await sql(SERVER_DB, 'SELECT 1 FROM pg_database WHERE datname = $1', [name])).toEqual([]);
  });

  it('embedded mode: a migrated PGlite per call, stopped by drop()', async () => {
    vi.stubEnv('TEST_DATABASE_URL', '');
    const db = await createTestDatabase('dataplane');
    expect(db.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres\?sslmode=disable$/);
    expect(await migrated(db.url)).toBe(true);
    await db.drop();
    await expect(sql(db.url, 'SELECT 1')).rejects.toThrow();
  });
});

describe('createTestRedis', () => {
  it('server mode: a unique prefix whose keys stop() deletes, leaving others alone', async () => {
    vi.stubEnv('TEST_REDIS_URL', SERVER_REDIS);
    const [a, b] = await Promise.all([createTestRedis(), createTestRedis()]);
    expect(a.url).toBe(SERVER_REDIS);
    expect(a.prefix).not.toBe(b.prefix);
    const redis = new Redis(SERVER_REDIS);
    try {
      await redis.mset(`${a.prefix}x`, '1', `${a.prefix}y:z`, '2', `${b.prefix}x`, '3');
      await a.stop();
      expect(await redis.exists(`${a.prefix}x`, `${a.prefix}y:z`)).toBe(0);
      expect(await redis.get(`${b.prefix}x`)).toBe('3');
      await b.stop();
      expect(await redis.exists(`${b.prefix}x`)).toBe(0);
    } finally {
      redis.disconnect();
    }
  });

  it('embedded mode: its own redis-server, stopped by stop()', async () => {
    vi.stubEnv('TEST_REDIS_URL', '');
    const r = await createTestRedis();
    expect(r.url).not.toBe(SERVER_REDIS);
    const redis = new Redis(r.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      expect(await redis.ping()).toBe('PONG');
    } finally {
      redis.disconnect();
      await r.stop();
    }
  });
});
