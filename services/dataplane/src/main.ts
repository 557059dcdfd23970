import { readFileSync } from 'node:fs';
import { serve, type ServerType } from '@hono/node-server';
import { migrate } from '@orvanta/migrate';
import { Agent } from './agent/agent.ts';
import { parseDataPlaneConfig, type DataPlaneConfig } from './config.ts';
import { connectDb } from './db.ts';
import { NodeQueue, redisConnection } from './engine/queue.ts';
import { startReconciler } from './engine/reconciler.ts';
import { SecretStore } from './secrets.ts';
import { startScheduler } from './engine/scheduler.ts';
import { startNodeWorker } from './engine/worker.ts';
import { createIngressApp } from './ingress/app.ts';
import { TokenVerifier } from './ingress/tokens.ts';
import { createLogger, errorFields } from './log.ts';
import { findSubprocessTools, SandboxPool, SubprocessSandbox, type SubprocessLanguage } from './sandbox/index.ts';

export const ROLES = ['agent', 'worker', 'ingress', 'all'] as const;
export type Role = (typeof ROLES)[number];

export const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface RunningDataPlane {
  stop(): Promise<void>;
  /** Where the ingress listens (ingress role). */
  port?: number;
}

/** Starts the chosen roles of one data plane. Every role shares one config and database. */
export async function startDataPlane(role: Role, config: DataPlaneConfig): Promise<RunningDataPlane> {
  const log = createLogger(config.LOG_LEVEL, { service: 'dataplane', role });
  if (config.MIGRATE_ON_START) await migrate({ connectionString: config.DATABASE_URL, plane: 'dataplane', log: (line) => log.info(line) });
  const { db, sql } = connectDb(config.DATABASE_URL, { max: config.DATABASE_POOL_MAX });
  const producer = redisConnection(config.REDIS_URL, 'producer');
  producer.on('error', () => undefined); // reconnects by itself; the reconciler covers gaps
  const queue = new NodeQueue(producer, config.REDIS_PREFIX);
  const secrets = new SecretStore(db, sql, config.SECRETS_KEY, log);
  const stops: (() => Promise<void>)[] = [];
  const has = (r: Role) => role === r || role === 'all';
  let ready = false;
  let port: number | undefined;

  try {
    if (has('ingress')) {
      const app = createIngressApp({ db, queue, secrets, verifier: new TokenVerifier(db, config.CONTROL_PLANE_URL), ready: () => ready });
      const server = await new Promise<ServerType>((resolve) => {
        const s = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
          port = info.port;
          resolve(s);
        });
      });
      stops.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
      log.info('ingress listening', { port, publicUrl: config.PUBLIC_URL });
    }
    if (has('worker')) {
      // python and shell need bubblewrap (and python3): without them this worker refuses to start.
      const subprocessLanguages = config.SCRIPT_LANGUAGES.filter((l): l is SubprocessLanguage => l === 'python' || l === 'shell');
      const subprocess = subprocessLanguages.length ? new SubprocessSandbox(await findSubprocessTools(subprocessLanguages, { python: config.SCRIPT_PYTHON })) : undefined;
      const sandbox = new SandboxPool({ size: config.SANDBOX_THREADS, languages: config.SCRIPT_LANGUAGES, subprocess, onDiagnostic: (message) => log.warn(message) });
      const connection = redisConnection(config.REDIS_URL, 'worker');
      connection.on('error', () => undefined);
      const worker = startNodeWorker({
        db,
        sql,
        sandbox,
        queue,
        connection,
        prefix: config.REDIS_PREFIX,
        concurrency: config.WORKER_CONCURRENCY,
        limits: { timeoutMs: config.SCRIPT_TIMEOUT_MS, memoryBytes: config.SCRIPT_MEMORY_MB * 1024 * 1024 },
        egress: { allowPrivate: config.EGRESS_ALLOW_PRIVATE },
        secrets,
        log,
      });
      const reconciler = startReconciler(db, sql, queue, log);
      const scheduler = startScheduler(db, queue, log);
      stops.push(async () => {
        reconciler.stop();
        scheduler.stop();
        await worker.close();
        await sandbox.close();
        connection.disconnect();
      });
    }
    if (has('agent')) {
      const agent = new Agent({ db, sql, queue, secrets, log, controlPlaneUrl: config.CONTROL_PLANE_URL, publicUrl: config.PUBLIC_URL, version: VERSION, enrollmentToken: config.ENROLLMENT_TOKEN });
      await agent.start();
      stops.push(() => agent.stop());
    }
  } catch (err) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await queue.close().catch(() => undefined);
    producer.disconnect();
    await db.$disconnect();
    throw err;
  }
  ready = true;
  log.info('data plane started', { version: VERSION });

  return {
    port,
    async stop() {
      ready = false;
      for (const stop of stops.reverse()) await stop().catch((err) => log.warn('stop step failed', errorFields(err)));
      await queue.close().catch(() => undefined);
      producer.disconnect();
      await db.$disconnect();
      log.info('data plane stopped');
    },
  };
}

async function main(argv: string[]): Promise<void> {
  const role = (argv[0] ?? 'all') as Role;
  if (!ROLES.includes(role)) {
    console.error(`Unknown role "${argv[0]}". Usage: orvanta-dataplane <${ROLES.join('|')}>`);
    process.exit(2);
  }
  let config: DataPlaneConfig;
  try {
    config = parseDataPlaneConfig(process.env);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  let running: RunningDataPlane;
  try {
    running = await startDataPlane(role, config);
  } catch (err) {
    console.error(`Data plane failed to start: ${(err as Error).message}`);
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(1), 20_000);
    force.unref();
    void running.stop().then(() => {
      clearTimeout(force);
      process.exit(signal === 'SIGTERM' || signal === 'SIGINT' ? 0 : 1);
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

if (import.meta.url === `file://${process.argv[1]}`) void main(process.argv.slice(2));
