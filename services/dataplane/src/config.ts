import { SCRIPT_LANGUAGES } from '@orvanta/spec';
import { z } from 'zod';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/**
 * Everything a data plane reads from its environment. The same variables configure a
 * shared region, a dedicated region and an on-prem install: only their values differ.
 */
export const dataPlaneConfigSchema = z.object({
  /** This data plane's own Postgres: run inputs, outputs, logs. */
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
  /** Connections in the database pool; 1 for an embedded PGlite, which serves a single session. */
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  /** This data plane's Redis (BullMQ transport; Postgres stays the truth). */
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL'),
  /** Key prefix for every Redis key, so several data planes can share one Redis. */
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]+$/).default('orvanta'),
  /** The control plane the agent connects out to, e.g. https://app.orvanta.example. */
  CONTROL_PLANE_URL: z.url(),
  /** One-time token from the control plane; needed for the first start only. */
  ENROLLMENT_TOKEN: z.string().optional(),
  /** Where the ingress listens. */
  PORT: z.coerce.number().int().min(0).max(65535).default(3100),
  HOST: z.string().default('0.0.0.0'),
  /** Where browsers reach the ingress (defaults to http://localhost:PORT). */
  PUBLIC_URL: z.url().optional(),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  SANDBOX_THREADS: z.coerce.number().int().min(1).max(64).default(2),
  /** Default time limit of one script node invocation. */
  SCRIPT_TIMEOUT_MS: z.coerce.number().int().min(10).max(300_000).default(10_000),
  /** Memory limit of one script node invocation, in MiB. */
  SCRIPT_MEMORY_MB: z.coerce.number().int().min(1).max(4096).default(64),
  /**
   * Script languages this data plane runs, comma-separated. `python` and `shell` run as
   * subprocesses under bubblewrap, which (and python3, for python) must be installed; a node in
   * another language fails with `LanguageNotAllowed`.
   */
  SCRIPT_LANGUAGES: z
    .string()
    .default('javascript,typescript')
    .transform((list) => [...new Set(list.split(',').map((name) => name.trim()).filter(Boolean))])
    .pipe(z.array(z.enum(SCRIPT_LANGUAGES, { error: `must list languages among ${SCRIPT_LANGUAGES.join(', ')}` }))),
  /** The python interpreter of python script nodes: a command on PATH or an absolute path (a venv's python works). */
  SCRIPT_PYTHON: z.string().min(1).default('python3'),
  /** Apply this data plane's database migrations at start-up. */
  MIGRATE_ON_START: bool.default(true),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** Key material (32+ characters) for tenant secrets at rest; from a secret manager, not this database. */
  SECRETS_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Egress policy of http nodes: may they call private, loopback and cloud-metadata addresses? Off by default. */
  EGRESS_ALLOW_PRIVATE: bool.default(false),
});
export type DataPlaneConfig = z.infer<typeof dataPlaneConfigSchema> & { PUBLIC_URL: string };

export function parseDataPlaneConfig(env: Record<string, string | undefined>): DataPlaneConfig {
  const result = dataPlaneConfigSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid data-plane configuration: ${problems}`);
  }
  return { ...result.data, PUBLIC_URL: result.data.PUBLIC_URL ?? `http://localhost:${result.data.PORT}` };
}
