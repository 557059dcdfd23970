// Applies Prisma migrations without the Prisma CLI, which cannot download its schema
// engine offline or at air-gapped sites. The WebAssembly schema engine does the work and
// the bookkeeping in `_prisma_migrations`, so `prisma migrate deploy` stays compatible.
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  DriverAdapterError,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { loadSchemaEngine } from './engine.ts';
import { checksumMatches, migrationsFingerprint as fingerprint, readMigrationsList } from './migrations-list.ts';
import { migrationsDir, type Plane } from './paths.ts';

export { PLANES, type Plane } from './paths.ts';
export { checksum } from './migrations-list.ts';

/** Changes whenever the plane's migrations change (for caches of migrated databases). */
export async function migrationsFingerprint(plane: Plane): Promise<string> {
  return fingerprint(migrationsDir(plane));
}

export interface MigrateOptions {
  /** Postgres URL of the database to migrate. */
  connectionString: string;
  /** Which schema: prisma/<plane>/migrations. */
  plane: Plane;
  /** Progress lines ("applying 20261123072959_init"). */
  log?: (line: string) => void;
  /** Folder of migrations; defaults to prisma/<plane>/migrations. For tests. */
  migrationsDir?: string;
  /** How long to wait for another migrator to finish. Default 10 minutes. */
  lockTimeoutMs?: number;
}

export interface MigrateResult {
  /** Directory names of the migrations applied by this call, in order. */
  applied: string[];
}

/** A migration failed, was edited after it was applied, or blocks the others. */
export class MigrationError extends Error {
  override name = 'MigrationError';
  constructor(
    message: string,
    /** The migration at fault, when there is one. */
    readonly migration?: string,
  ) {
    super(message);
  }
}

/**
 * The key `prisma migrate` itself locks, so our migrator, the engine inside it and an
 * official `prisma migrate deploy` all exclude one another.
 */
const PRISMA_LOCK_KEY = 72707369;

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/**
 * Applies the plane's pending migrations in order. Idempotent; safe to run from several
 * processes at once (they queue on an advisory lock). Every connection is closed before
 * it returns or throws.
 */
export async function migrate(opts: MigrateOptions): Promise<MigrateResult> {
  const log = opts.log ?? (() => {});
  const dir = opts.migrationsDir ?? migrationsDir(opts.plane);
  const migrationsList = await readMigrationsList(dir);
  const SchemaEngine = await loadSchemaEngine();

  // One connection for everything: the lock belongs to a session, and the engine's own
  // lock query must land on the session that already holds it (locks are re-entrant),
  // not on a second pooled connection that would wait on us. No idle timeout, or the pool
  // could close the lock holder during a long migration.
  const pool = new pg.Pool({ connectionString: opts.connectionString, max: 1, idleTimeoutMillis: 0 });
  pool.on('error', () => {}); // a dropped idle connection surfaces on the next query
  try {
    await acquireLock(pool, opts.lockTimeoutMs ?? 600_000, log);
    await assertUnchanged(pool, migrationsList.migrationDirectories);

    const engine = await SchemaEngine.new({ datamodels: undefined }, engineLogger(log), bindMigrationAwareSqlAdapterFactory(wholeScriptAdapter(pool)));
    try {
      const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList, filters: { externalTables: [], externalEnums: [] } });
      return { applied: appliedMigrationNames };
    } catch (error) {
      throw await explainFailure(pool, error);
    } finally {
      engine.free();
    }
  } finally {
    // Ending the session releases the advisory lock with it.
    await pool.end();
  }
}

async function acquireLock(pool: pg.Pool, timeoutMs: number, log: (line: string) => void): Promise<void> {
  const { rows } = await pool.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [PRISMA_LOCK_KEY]);
  if (rows[0]?.locked) return;
  log('waiting for another migration to finish');
  try {
    await pool.query(`SET lock_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
    await pool.query('SELECT pg_advisory_lock($1)', [PRISMA_LOCK_KEY]);
  } catch (error) {
    throw new MigrationError(`timed out after ${timeoutMs} ms waiting for another migration to finish: ${(error as Error).message}`);
  } finally {
    await pool.query('RESET lock_timeout').catch(() => {});
  }
}

/**
 * `prisma migrate deploy` only warns when an applied migration was edited; we refuse,
 * because a database built from another script than the one in git is drift.
 */
async function assertUnchanged(pool: pg.Pool, dirs: { path: string; migrationFile: { content: { tag: string; value: string } } }[]): Promise<void> {
  const rows = await appliedRows(pool);
  const onDisk = new Map(dirs.map((d) => [d.path, d.migrationFile.content]));
  for (const row of rows) {
    const script = onDisk.get(row.migration_name);
    if (!script || script.tag !== 'ok' || row.finished_at === null || row.rolled_back_at !== null) continue;
    if (!checksumMatches(script.value, row.checksum)) {
      throw new MigrationError(
        `migration ${row.migration_name} was changed after it was applied (checksum differs from _prisma_migrations); restore the original and put changes in a new migration`,
        row.migration_name,
      );
    }
  }
}

async function appliedRows(pool: pg.Pool): Promise<MigrationRow[]> {
  const { rows: exists } = await pool.query<{ t: string | null }>(`SELECT to_regclass('_prisma_migrations')::text AS t`);
  if (!exists[0]?.t) return [];
  const { rows } = await pool.query<MigrationRow>(
    'SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY started_at',
  );
  return rows;
}

/** Names the migration at fault; the engine's own message follows. */
async function explainFailure(pool: pg.Pool, error: unknown): Promise<MigrationError> {
  const message = error instanceof Error ? error.message : String(error);
  const failed = await appliedRows(pool).then(
    (rows) => rows.find((r) => r.finished_at === null && r.rolled_back_at === null)?.migration_name,
    () => undefined,
  );
  const detail = cleanEngineMessage(message);
  return new MigrationError(failed ? `migration ${failed} failed: ${detail}` : detail, failed);
}

/**
 * Drops the engine's Rust span trace ("   0: sql_schema_connector::...") and its generic
 * "external connector error" preamble, keeping what a person needs.
 */
export function cleanEngineMessage(message: string): string {
  const lines: string[] = [];
  for (const line of message.split('\n')) {
    if (/^\s+\d+: /.test(line)) break;
    if (line.trim() && line.trim() !== 'external connector error') lines.push(line.trim());
  }
  return lines.join(' ') || message.trim();
}

function engineLogger(log: (line: string) => void): (line: string) => void {
  return (line) => {
    try {
      const event = JSON.parse(line) as { fields?: { message?: string } };
      const applying = /^Applying `(.+)`$/.exec(event.fields?.message ?? '');
      if (applying) log(`applying ${applying[1]}`);
    } catch {
      // not JSON: nothing we need
    }
  };
}

/**
 * PrismaPg's executeScript splits a script on every ";" (breaking any string or function
 * body holding one) and runs the pieces one by one, so a failure half-way leaves half a
 * migration behind. Native Prisma sends the whole script as one simple query, which
 * Postgres runs as a single implicit transaction: all or nothing. We do the same.
 */
function wholeScriptAdapter(pool: pg.Pool): SqlMigrationAwareDriverAdapterFactory {
  // adapter-pg ships newer @types/pg than the root's; at runtime both are the same pg.
  const inner = new PrismaPg(pool as unknown as ConstructorParameters<typeof PrismaPg>[0]);
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    async connect(): Promise<SqlDriverAdapter> {
      const adapter = await inner.connect();
      adapter.executeScript = async (script: string) => {
        try {
          await pool.query(script);
        } catch (error) {
          throw toDriverAdapterError(error);
        }
      };
      return adapter;
    },
    connectToShadowDb: () => Promise.reject(new Error('migrate() never uses a shadow database')),
  };
}

function toDriverAdapterError(error: unknown): unknown {
  if (!(error instanceof pg.DatabaseError)) return error;
  return new DriverAdapterError({
    kind: 'postgres',
    code: error.code ?? 'N/A',
    severity: error.severity ?? 'N/A',
    message: error.message,
    detail: error.detail,
    column: error.column,
    hint: error.hint,
    originalCode: error.code,
    originalMessage: error.message,
  });
}
