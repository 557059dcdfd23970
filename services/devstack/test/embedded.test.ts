import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, startEmbeddedRedis } from '../src/index.ts';

async function sql<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

describe('startEmbeddedPostgres', () => {
  it('serves an in-memory database over the wire protocol, to parallel clients', async () => {
    const server = await startEmbeddedPostgres({});
    try {
      expect(server.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres\?sslmode=disable$/);
      const pool = new pg.Pool({ connectionString: server.url, max: 5 });
      const rows = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.query<{ n: number }>('SELECT $1::int AS n', [i])));
      await pool.end();
      expect(rows.map((r) => r.rows[0]!.n)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    } finally {
      await server.stop();
    }
    await expect(sql(server.url, 'SELECT 1')).rejects.toThrow();
  });

  it('persists to dataDir across restarts', async () => {
    const dataDir = join(await mkdtemp(join(tmpdir(), 'orvanta-pglite-')), 'data');
    try {
      const first = await startEmbeddedPostgres({ dataDir });
      await sql(first.url, `CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')`);
      await first.stop();
      const second = await startEmbeddedPostgres({ dataDir });
      try {
        expect(await sql(second.url, 'SELECT v FROM kept')).toEqual([{ v: 'still here' }]);
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dirname(dataDir), { recursive: true, force: true });
    }
  });
});

describe('startEmbeddedRedis', () => {
  it('starts a redis-server on a free port and stops it', async () => {
    const server = await startEmbeddedRedis();
    const redis = new Redis(server.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await redis.set('k', 'v');
      expect(await redis.get('k')).toBe('v');
    } finally {
      redis.disconnect();
      await server.stop();
    }
    const after = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    after.on('error', () => {});
    await expect(after.connect()).rejects.toThrow();
    after.disconnect();
  });
});
