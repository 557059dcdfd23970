import {
  ColumnTypeEnum,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQuery,
  type SqlResultSet,
} from '@prisma/driver-adapter-utils';

/**
 * Postgres version the engine is told it generates SQL for. Diffs don't depend on it
 * for anything our schemas use; it is the oldest major version we support.
 */
const SERVER_VERSION = { text: 'PostgreSQL 15.0 (offline diff)', num: 150000 };

function refuse(sql: string): never {
  throw new Error(`the offline schema engine cannot run SQL: ${sql.slice(0, 80)}`);
}

/**
 * A connection factory for the wasm schema engine when it only diffs two datamodels. The
 * engine still probes the server once (does the schema exist, which version); we answer
 * that probe and refuse everything else, so a diff never needs a database.
 */
export function offlineAdapterFactory(): SqlMigrationAwareDriverAdapterFactory {
  const adapter: SqlDriverAdapter = {
    provider: 'postgres',
    adapterName: 'orvanta-offline',
    async queryRaw(query: SqlQuery): Promise<SqlResultSet> {
      if (/^SELECT EXISTS\(SELECT 1 FROM pg_namespace WHERE nspname = \$1\), version\(\)/.test(query.sql)) {
        return {
          columnNames: ['exists', 'version', 'numeric_version'],
          columnTypes: [ColumnTypeEnum.Boolean, ColumnTypeEnum.Text, ColumnTypeEnum.Int32],
          rows: [[true, SERVER_VERSION.text, SERVER_VERSION.num]],
        };
      }
      refuse(query.sql);
    },
    executeRaw: (query) => refuse(query.sql),
    executeScript: (script) => refuse(script),
    startTransaction: () => refuse('BEGIN'),
    dispose: async () => {},
  };
  return {
    provider: 'postgres',
    adapterName: 'orvanta-offline',
    connect: async () => adapter,
    connectToShadowDb: async () => adapter,
  };
}
