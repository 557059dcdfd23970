// Embedded stand-ins for Postgres and Redis, so a machine with only Node can run Orvanta
// and its tests. Not for production: one PGlite is a single Postgres backend that all
// connections share, one query at a time.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { RedisMemoryServer } from 'redis-memory-server';

export interface EmbeddedService {
  /** Connection URL for ordinary clients (pg / Prisma, ioredis / BullMQ). */
  url: string;
  /** Stops the server and closes every connection to it. Safe to call twice. */
  stop(): Promise<void>;
}

export interface EmbeddedPostgres extends EmbeddedService {
  /**
   * Connections a client pool may open: 1. PGlite is one backend session, so two pooled
   * connections would interleave their statements ("unnamed prepared statement does not
   * exist"). Pass it as the programs' DATABASE_POOL_MAX.
   */
  poolMax: number;
}

export interface EmbeddedPostgresOptions {
  /** Persist to this directory (created if missing); in memory when absent. */
  dataDir?: string;
  /** TCP port on 127.0.0.1; 0 or absent picks a free one. */
  port?: number;
}

/**
 * Starts PGlite behind the Postgres wire protocol. One PGlite holds one database
 * ("postgres"), so start one per database you need.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  if (opts.dataDir) await mkdir(opts.dataDir, { recursive: true });
  const db = await PGlite.create(opts.dataDir ? { dataDir: opts.dataDir } : {});
  return servePGlite(db, opts.port);
}

/** Serves an open PGlite on 127.0.0.1; stop() also closes the PGlite. */
export async function servePGlite(db: PGlite, port = 0): Promise<EmbeddedPostgres> {
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port, maxConnections: 10 });
  try {
    await server.start();
  } catch (error) {
    await db.close();
    throw error;
  }
  // getServerConn() is "host:port" with the port actually bound.
  const url = `postgres://postgres@${server.getServerConn()}/postgres?sslmode=disable`;
  let stopping: Promise<void> | undefined;
  return {
    url,
    poolMax: 1,
    stop: () =>
      (stopping ??= (async () => {
        await server.stop();
        await db.close();
      })()),
  };
}

export interface EmbeddedRedisOptions {
  /** TCP port on 127.0.0.1; 0 or absent picks a free one. */
  port?: number;
}

const SYSTEM_REDIS = '/usr/bin/redis-server';

/**
 * Starts a real redis-server child (no persistence). Uses the system binary when there is
 * one; otherwise redis-memory-server downloads and builds Redis, which needs the internet.
 */
export async function startEmbeddedRedis(opts: EmbeddedRedisOptions = {}): Promise<EmbeddedService> {
  const server = new RedisMemoryServer({
    autoStart: false,
    instance: { ip: '127.0.0.1', port: opts.port || undefined },
    binary: existsSync(SYSTEM_REDIS) ? { systemBinary: SYSTEM_REDIS } : {},
  });
  await server.start();
  const port = await server.getPort();
  if (opts.port && port !== opts.port) {
    // redis-memory-server moves to another port when the one asked for is taken; a
    // caller that asked for a port means it.
    await server.stop();
    throw new Error(`embedded Redis: port ${opts.port} is in use`);
  }
  let stopping: Promise<void> | undefined;
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      (stopping ??= (async () => {
        await server.stop();
      })()),
  };
}
