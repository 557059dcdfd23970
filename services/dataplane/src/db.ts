import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './db/generated/client.ts';

export type Db = PrismaClient;
export type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];
export { Prisma } from './db/generated/client.ts';

/**
 * node-postgres, for the engine's hot path (engine/hot-path.ts): a statement through it costs
 * about a sixth of one through Prisma. It is the same pool Prisma uses.
 */
export type Sql = pg.Pool;

/** The data plane's database: Prisma for most work, and the pool beneath it for the hot path. */
export function connectDb(connectionString: string, options: { max?: number } = {}): { db: Db; sql: Sql } {
  const sql = new pg.Pool({ connectionString, max: options.max ?? 10 });
  // An idle connection that breaks (the server restarted) must not crash the process: the
  // pool drops it and the next checkout opens a new one.
  sql.on('error', () => undefined);
  // Prisma ends the pool when it disconnects.
  const db = new PrismaClient({ adapter: new PrismaPg(sql, { disposeExternalPool: true }) });
  return { db, sql };
}

export function createDb(connectionString: string, options: { max?: number } = {}): Db {
  return connectDb(connectionString, options).db;
}

/**
 * One parameterised statement ($1, $2, …) returning its rows, run either on the pool or
 * inside a Prisma transaction: a statement written once serves both.
 */
export type Query = <R>(text: string, values: unknown[]) => Promise<R[]>;
export const onPool =
  (sql: Sql | pg.PoolClient): Query =>
  async <R>(text: string, values: unknown[]) =>
    (await sql.query(text, values)).rows as R[];
export const inTx =
  (tx: Tx): Query =>
  <R>(text: string, values: unknown[]) =>
    tx.$queryRawUnsafe<R[]>(text, ...values);

/**
 * Timestamp columns are `timestamp(3)` holding UTC, as Prisma writes them. In raw SQL a value
 * goes in as an ISO string parameter converted here, so it does not depend on the process's or
 * the session's time zone; read one back as epoch milliseconds.
 */
export const UTC = (param: string) => `(${param}::timestamptz AT TIME ZONE 'UTC')`;
