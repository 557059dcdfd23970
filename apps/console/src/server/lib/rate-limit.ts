import type { Db } from '../db/client.ts';

export interface RateLimitResult {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
}

/**
 * Counts one hit against `key` in a fixed window and says whether it is within `limit`.
 * The counter lives in Postgres (one row per key, reused window after window) and the
 * window follows the database's clock, so every control-plane replica shares one count.
 */
export async function hitRateLimit(db: Db, key: string, limit: number, windowSeconds: number): Promise<RateLimitResult> {
  const [row] = await db.$queryRaw<{ count: number; reset: number }[]>`
    WITH w AS (SELECT to_timestamp(floor(extract(epoch FROM now()) / ${windowSeconds}) * ${windowSeconds}) AT TIME ZONE 'UTC' AS start)
    INSERT INTO "RateLimitCounter" ("key", "windowStart", "count")
    SELECT ${key}, w.start, 1 FROM w
    ON CONFLICT ("key") DO UPDATE SET
      "count" = CASE WHEN "RateLimitCounter"."windowStart" = EXCLUDED."windowStart" THEN "RateLimitCounter"."count" + 1 ELSE 1 END,
      "windowStart" = EXCLUDED."windowStart"
    RETURNING "count",
      ceil(extract(epoch FROM ("windowStart" + make_interval(secs => ${windowSeconds}) - (now() AT TIME ZONE 'UTC'))))::int AS "reset"`;
  const count = Number(row!.count);
  const resetSeconds = Math.max(1, Number(row!.reset));
  return { allowed: count <= limit, limit, remaining: Math.max(0, limit - count), resetSeconds };
}
