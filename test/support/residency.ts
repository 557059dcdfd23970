import { expect } from 'vitest';
import pg from 'pg';
import type { TestControlPlane } from './control-plane.ts';

/**
 * Where `needle` occurs in the control plane: every table of its database (each row as
 * text, JSON columns included) and everything it logged. Empty when it kept none of it.
 */
export async function findInControlPlane(cp: TestControlPlane, needle: string): Promise<string[]> {
  const tables = await cp.db.$queryRaw<{ table_name: string }[]>`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`;
  expect(tables.length).toBeGreaterThan(10);
  const hits: string[] = [];
  for (const { table_name } of tables) {
    const rows = await cp.db.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM "${table_name}" t WHERE strpos(t::text, $1) > 0`, needle);
    if (Number(rows[0]!.n) > 0) hits.push(`table ${table_name}`);
  }
  const logged = cp.logs.filter((line) => line.includes(needle));
  if (logged.length) hits.push(`logs: ${logged[0]!.slice(0, 200)}`);
  return hits;
}

/** A data plane's own database, read directly (as its operator could). */
export function dataPlaneDatabase(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  return {
    async query<T extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
      return (await pool.query<T>(sql, params)).rows;
    },
    close: () => pool.end(),
  };
}
