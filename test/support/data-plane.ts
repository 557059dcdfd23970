import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createTestDatabase, createTestRedis } from '@orvanta/devstack/testing';

const root = path.resolve(import.meta.dirname, '../..');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface TestDataPlane {
  url: string;
  databaseUrl: string;
  logs: string[];
  /** Starts the data-plane program (all roles) as a child process. */
  start(): Promise<void>;
  /** SIGTERM and wait: a clean stop. */
  stop(): Promise<void>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
  dispose(): Promise<void>;
}

/** The real data-plane program, run as its own process with its own database and Redis prefix. */
export async function createTestDataPlane(options: { controlPlaneUrl: string; enrollmentToken: string; env?: Record<string, string> }): Promise<TestDataPlane> {
  const database = await createTestDatabase('dataplane');
  const redis = await createTestRedis();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logs: string[] = [];
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async () => {
    child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'services/dataplane/src/main.ts'), 'all'], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: database.url,
        ...(database.poolMax ? { DATABASE_POOL_MAX: String(database.poolMax) } : {}),
        REDIS_URL: redis.url,
        REDIS_PREFIX: redis.prefix,
        CONTROL_PLANE_URL: options.controlPlaneUrl,
        ENROLLMENT_TOKEN: options.enrollmentToken,
        PORT: String(port),
        HOST: '127.0.0.1',
        PUBLIC_URL: url,
        LOG_LEVEL: 'debug',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc = child;
    exited = new Promise((resolve) => proc.on('exit', () => resolve()));
    for (const stream of [proc.stdout!, proc.stderr!]) createInterface({ input: stream }).on('line', (line) => logs.push(line));
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`data plane exited with ${proc.exitCode}:\n${logs.slice(-20).join('\n')}`);
      const ready = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
      if (ready) return;
      if (Date.now() > deadline) throw new Error(`data plane not ready:\n${logs.slice(-20).join('\n')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const signal = async (sig: NodeJS.Signals) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(sig);
    await exited;
  };

  return {
    url,
    databaseUrl: database.url,
    logs,
    start,
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    async dispose() {
      await signal('SIGKILL');
      await redis.stop();
      await database.drop();
    },
  };
}
