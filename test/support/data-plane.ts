import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
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
  /** The data plane's own database, reached directly (never through `databaseLink`). */
  databaseUrl: string;
  /** The Redis server and the key prefix this data plane (and only it) uses. */
  redis: { url: string; prefix: string };
  logs: string[];
  /** Whether the child process is up (started and not exited). */
  readonly running: boolean;
  /**
   * With `databaseProxy`: the data plane reaches its database through a TCP proxy of this
   * test file's, so the database can be made unavailable to it (and only to it).
   */
  databaseLink?: TcpLink;
  /** With `redisProxy`: the same for its Redis (the server may be shared with other test files). */
  redisLink?: TcpLink;
  /** Starts the data-plane program (all roles) as a child process. */
  start(): Promise<void>;
  /** SIGTERM and wait: a clean stop. */
  stop(): Promise<void>;
  /** SIGKILL (or the signal given): a crash. Resolves once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  dispose(): Promise<void>;
}

/** The real data-plane program, run as its own process with its own database and Redis prefix. */
export async function createTestDataPlane(options: { controlPlaneUrl: string; enrollmentToken: string; env?: Record<string, string>; databaseProxy?: boolean; redisProxy?: boolean }): Promise<TestDataPlane> {
  const database = await createTestDatabase('dataplane');
  const redis = await createTestRedis();
  const link = options.databaseProxy ? await startTcpLink(database.url, 5432) : undefined;
  const redisLink = options.redisProxy ? await startTcpLink(redis.url, 6379) : undefined;
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
        DATABASE_URL: link?.url ?? database.url,
        ...(database.poolMax ? { DATABASE_POOL_MAX: String(database.poolMax) } : {}),
        REDIS_URL: redisLink?.url ?? redis.url,
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
    for (const stream of [proc.stdout!, proc.stderr!]) createInterface({ input: stream }).on('line', (line) => {
        logs.push(line);
        // For debugging a test: TEST_ECHO_DATAPLANE_LOGS=1 echoes the data plane's warnings and errors.
        if (process.env.TEST_ECHO_DATAPLANE_LOGS && /"level":"(warn|error)"/.test(line)) console.error(`[data plane] ${line}`);
      });
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
    redis: { url: redis.url, prefix: redis.prefix },
    logs,
    get running() {
      return !!child && child.exitCode === null && child.signalCode === null;
    },
    databaseLink: link,
    redisLink,
    start,
    stop: () => signal('SIGTERM'),
    kill: (sig = 'SIGKILL') => signal(sig),
    async dispose() {
      await signal('SIGKILL');
      await link?.close();
      await redisLink?.close();
      await redis.stop();
      await database.drop();
    },
  };
}

export interface TcpLink {
  /** URL of the proxy: the real service's URL with the proxy's host and port. */
  url: string;
  /** Drops every open connection and refuses new ones (ECONNREFUSED), as a server that went down. */
  cut(): Promise<void>;
  /** Accepts connections again, on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** A TCP proxy in front of one service, so a test can take it away from one program only. */
async function startTcpLink(serviceUrl: string, defaultPort: number): Promise<TcpLink> {
  const target = new URL(serviceUrl);
  const upstream = { host: target.hostname, port: Number(target.port || defaultPort) };
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server: Server = createServer((client) => {
    const remote = connect(upstream);
    track(client);
    track(remote);
    client.pipe(remote);
    remote.pipe(client);
    client.on('close', () => remote.destroy());
    remote.on('close', () => client.destroy());
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const port = (server.address() as { port: number }).port;
  const url = new URL(serviceUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  let up = true;
  const cut = async () => {
    if (!up) return;
    up = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of sockets) s.destroy();
    await closed;
  };
  return {
    url: url.toString(),
    cut,
    async restore() {
      if (up) return;
      await listen(port);
      up = true;
    },
    close: cut,
  };
}
