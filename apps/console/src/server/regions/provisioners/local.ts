import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { SIZES, type DedicatedRegionSpec, type ProvisionerDriver, type ProvisionResult, type StepReporter } from './types.ts';

/**
 * The `local` driver: a dedicated region on this machine, for `npm start`, tests and e2e.
 * It really provisions one — a database of its own on a Postgres server, a Redis key space
 * (`<prefix>-dr-<id>`) and a data-plane process (`services/dataplane/src/main.ts all`) that
 * migrates its database and enrolls itself with the token it is given.
 *
 * State lives in `<dir>/<region id>/`: `process.json` (pid, port) and `dataplane.log`, the
 * child's output, kept after decommissioning for inspection. Every call finds what an
 * earlier one made (database by name, process by pid and health check), so repeating it
 * after a crash or a retry is safe. Children are killed when this control plane stops
 * (`stopAll`, and on process exit); `provision` on a `ready` region restarts a process
 * that is gone (the control plane's start-up reconcile does that).
 */
export interface LocalDriverConfig {
  /** Admin URL of a Postgres server that may CREATE DATABASE (a real server: embedded PGlite holds one database). */
  databaseUrl?: string;
  redisUrl?: string;
  /** Redis key prefix base: the region's keys are `<base>-dr-<id>:…`. */
  redisPrefixBase: string;
  /** Where each region's state and logs go. */
  dir: string;
  /** The repository root (holds services/dataplane/src/main.ts). */
  root: string;
  /** Address the data planes listen on and browsers reach them at. */
  host: string;
  /** How long a started data plane may take to answer /healthz. */
  readyTimeoutMs: number;
  /** Extra environment for the data-plane processes (e.g. LOG_LEVEL). */
  env?: Record<string, string>;
}

export interface LocalDriver extends ProvisionerDriver {
  readonly name: 'local';
  /** Kills every data-plane process this driver started (control-plane shutdown, tests). */
  stopAll(): Promise<void>;
  /** Whether the region's data-plane process is up (by its recorded pid). */
  running(regionId: string): boolean;
}

/** Why the driver cannot work in this configuration, or undefined when it can. */
export function localDriverProblem(config: Pick<LocalDriverConfig, 'databaseUrl' | 'redisUrl'>): string | undefined {
  if (!config.databaseUrl) return 'The local provisioner needs a real Postgres server to create each dedicated region\'s database: set LOCAL_PROVISIONER_DATABASE_URL (npm start sets it when DATABASE_URL names a server; embedded PGlite holds a single database).';
  if (!config.redisUrl) return 'The local provisioner needs a Redis server: set LOCAL_PROVISIONER_REDIS_URL.';
  return undefined;
}

export const localDatabaseName = (regionId: string) => `orvanta_dr_${regionId.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63);
export const localRedisPrefix = (base: string, regionId: string) => `${base}-dr-${regionId}`.replace(/[^A-Za-z0-9:_-]/g, '-');

interface ProcessRecord {
  pid: number;
  port: number;
  startedAt: string;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** On Linux, checks that a recorded pid is still a data-plane process (pids get reused). */
function isDataPlane(pid: number): boolean {
  if (!alive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('services/dataplane');
  } catch {
    return true; // no /proc: trust the pid
  }
}

async function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason ?? new Error('aborted'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason ?? new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

const healthy = (url: string) =>
  fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) }).then(
    async (r) => r.ok && ((await r.json()) as { ready?: boolean }).ready !== false,
    () => false,
  );

/** host:port/name of a database URL, without its credentials (for steps and errors). */
function describeDatabase(url: string, name: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || 5432}/${name}`;
}

function databaseUrlFor(adminUrl: string, name: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

async function withAdmin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    const u = new URL(adminUrl);
    throw new Error(`Cannot reach the Postgres server ${u.hostname}:${u.port || 5432} for dedicated-region databases: ${(err as Error).message}`);
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------
// A minimal Redis client (RESP over a socket): enough to PING and to delete a key space,
// without adding a Redis library to the console.

type RespValue = string | number | null | RespValue[];

async function redisCommands(url: string, commands: string[][], onReply?: (reply: RespValue, index: number) => string[][] | void): Promise<RespValue[]> {
  const u = new URL(url);
  if (u.protocol !== 'redis:') throw new Error('The local provisioner supports redis:// URLs only.');
  const socket = createConnection({ host: u.hostname, port: Number(u.port || 6379) });
  socket.setTimeout(10_000);
  const encode = (args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
  const queue: string[][] = [];
  if (u.password || u.username) queue.push(u.username ? ['AUTH', decodeURIComponent(u.username), decodeURIComponent(u.password)] : ['AUTH', decodeURIComponent(u.password)]);
  const db = u.pathname.replace(/^\//, '');
  if (db) queue.push(['SELECT', db]);
  const skip = queue.length;
  queue.push(...commands);
  const replies: RespValue[] = [];
  let buffer = Buffer.alloc(0);

  const parse = (at: number): [RespValue, number] | undefined => {
    const end = buffer.indexOf('\r\n', at);
    if (end < 0) return undefined;
    const type = String.fromCharCode(buffer[at]!);
    const line = buffer.toString('utf8', at + 1, end);
    const next = end + 2;
    if (type === '+') return [line, next];
    if (type === '-') throw new Error(`Redis: ${line}`);
    if (type === ':') return [Number(line), next];
    if (type === '$') {
      const len = Number(line);
      if (len < 0) return [null, next];
      if (buffer.length < next + len + 2) return undefined;
      return [buffer.toString('utf8', next, next + len), next + len + 2];
    }
    if (type === '*') {
      const count = Number(line);
      if (count < 0) return [null, next];
      const items: RespValue[] = [];
      let pos = next;
      for (let i = 0; i < count; i++) {
        const item = parse(pos);
        if (!item) return undefined;
        items.push(item[0]);
        pos = item[1];
      }
      return [items, pos];
    }
    throw new Error(`Redis: unexpected reply type ${type}`);
  };

  return new Promise((resolve, reject) => {
    let sent = 0;
    const sendNext = () => {
      if (sent < queue.length) socket.write(encode(queue[sent++]!));
      else {
        socket.end();
        resolve(replies);
      }
    };
    socket.on('connect', sendNext);
    socket.on('timeout', () => socket.destroy(new Error('Redis did not answer within 10 s')));
    socket.on('error', (err) => reject(new Error(`Cannot reach Redis ${u.hostname}:${u.port || 6379}: ${err.message}`)));
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      try {
        const parsed = parse(0);
        if (!parsed) return;
        buffer = buffer.subarray(parsed[1]);
        const index = sent - 1;
        if (index >= skip) {
          replies.push(parsed[0]);
          const more = onReply?.(parsed[0], index - skip);
          if (more) queue.push(...more);
        }
        sendNext();
      } catch (err) {
        socket.destroy();
        reject(err as Error);
      }
    });
  });
}

/** Deletes every key of a prefix (SCAN + UNLINK); returns how many. */
async function deleteKeySpace(url: string, prefix: string): Promise<number> {
  let deleted = 0;
  const pattern = `${prefix}:*`;
  await redisCommands(url, [['SCAN', '0', 'MATCH', pattern, 'COUNT', '1000']], (reply) => {
    if (typeof reply === 'number') {
      deleted += reply;
      return;
    }
    if (!Array.isArray(reply) || reply.length !== 2 || !Array.isArray(reply[1])) return;
    const [cursor, keys] = reply as [string, string[]];
    const next: string[][] = [];
    if (keys.length) next.push(['UNLINK', ...keys]);
    if (cursor !== '0') next.push(['SCAN', cursor, 'MATCH', pattern, 'COUNT', '1000']);
    return next;
  });
  return deleted;
}

// ---------------------------------------------------------------------------------------

export function createLocalDriver(config: LocalDriverConfig): LocalDriver {
  const children = new Map<string, ChildProcess>();
  const entry = path.join(config.root, 'services/dataplane/src/main.ts');
  const stateDir = (id: string) => path.join(config.dir, id.replace(/[^A-Za-z0-9_-]/g, '_'));
  const recordFile = (id: string) => path.join(stateDir(id), 'process.json');
  const readRecord = (id: string): ProcessRecord | undefined => {
    try {
      return JSON.parse(readFileSync(recordFile(id), 'utf8')) as ProcessRecord;
    } catch {
      return undefined;
    }
  };
  const isRunning = (id: string) => {
    const child = children.get(id);
    if (child) return child.exitCode === null && child.signalCode === null;
    const record = readRecord(id);
    return !!record && isDataPlane(record.pid);
  };

  let exitHook = false;
  const killAllSync = () => {
    for (const child of children.values()) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };

  async function stopProcess(id: string): Promise<string> {
    const child = children.get(id);
    const record = readRecord(id);
    const pid = child?.pid ?? record?.pid;
    if (!pid || !(child ? child.exitCode === null && child.signalCode === null : isDataPlane(pid))) {
      children.delete(id);
      return 'no data-plane process was running';
    }
    const exited = child ? new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()))) : undefined;
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 15_000;
    while (child ? child.exitCode === null && child.signalCode === null : alive(pid)) {
      if (Date.now() > deadline) {
        process.kill(pid, 'SIGKILL');
        break;
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 100))]);
    }
    await exited;
    children.delete(id);
    return `stopped the data-plane process (pid ${pid})`;
  }

  function requireConfig(): { databaseUrl: string; redisUrl: string } {
    const problem = localDriverProblem(config);
    if (problem) throw new Error(problem);
    return { databaseUrl: config.databaseUrl!, redisUrl: config.redisUrl! };
  }

  return {
    name: 'local',

    running: isRunning,

    async provision(spec: DedicatedRegionSpec, report: StepReporter, signal: AbortSignal): Promise<ProvisionResult> {
      const { databaseUrl, redisUrl } = requireConfig();
      const dbName = localDatabaseName(spec.id);
      const where = describeDatabase(databaseUrl, dbName);
      const created = await withAdmin(databaseUrl, async (client) => {
        const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName]);
        if (rowCount) return false;
        try {
          await client.query(`CREATE DATABASE "${dbName}"`);
          return true;
        } catch (err) {
          if ((err as { code?: string }).code === '42P04') return false;
          throw new Error(`Could not create the database ${where}: ${(err as Error).message}`);
        }
      });
      await report('local.database', created ? `created database ${where}` : `found database ${where}`);
      signal.throwIfAborted();

      const prefix = localRedisPrefix(config.redisPrefixBase, spec.id);
      await redisCommands(redisUrl, [['PING']]);
      const redisHost = new URL(redisUrl);
      await report('local.redis', `key space ${prefix} on ${redisHost.hostname}:${redisHost.port || 6379}`);
      signal.throwIfAborted();

      mkdirSync(stateDir(spec.id), { recursive: true });
      const logFile = path.join(stateDir(spec.id), 'dataplane.log');
      const previous = readRecord(spec.id);
      let port = previous?.port;
      let url = port ? `http://${config.host}:${port}` : '';
      if (port && isRunning(spec.id) && (await healthy(url))) {
        await report('local.process', `running: data plane already up (pid ${previous!.pid}) at ${url}`);
      } else {
        if (previous) await stopProcess(spec.id); // a pid that is up but unhealthy: replace it
        if (!port || !(await portFree(port, config.host))) port = await freePort(config.host);
        url = `http://${config.host}:${port}`;
        const sizing = SIZES[spec.size] ?? SIZES.small;
        const log = openSync(logFile, 'a');
        const env: NodeJS.ProcessEnv = {
          NODE_ENV: process.env.NODE_ENV,
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
          ...(process.env.NODE_OPTIONS ? { NODE_OPTIONS: process.env.NODE_OPTIONS } : {}),
          DATABASE_URL: databaseUrlFor(databaseUrl, dbName),
          DATABASE_POOL_MAX: '5',
          REDIS_URL: redisUrl,
          REDIS_PREFIX: prefix,
          CONTROL_PLANE_URL: spec.controlPlaneUrl,
          PORT: String(port),
          HOST: config.host,
          PUBLIC_URL: url,
          WORKER_CONCURRENCY: String(sizing.workerConcurrency),
          ...config.env,
        };
        // Only needed until it has enrolled; a restart uses the credential in its own database.
        if (spec.enrollmentToken) env.ENROLLMENT_TOKEN = spec.enrollmentToken;
        let child: ChildProcess;
        try {
          child = spawn(process.execPath, ['--import', 'tsx', entry, 'all'], { cwd: config.root, env, stdio: ['ignore', log, log] });
        } finally {
          closeSync(log);
        }
        children.set(spec.id, child);
        if (!exitHook) {
          exitHook = true;
          process.once('exit', killAllSync);
        }
        child.once('exit', () => {
          if (children.get(spec.id) === child) children.delete(spec.id);
        });
        writeFileSync(recordFile(spec.id), JSON.stringify({ pid: child.pid ?? 0, port, startedAt: new Date().toISOString() } satisfies ProcessRecord));
        await report('local.process', `started: data plane pid ${child.pid} at ${url}; logs in ${logFile}`);

        const deadline = Date.now() + config.readyTimeoutMs;
        for (;;) {
          if (child.exitCode !== null || child.signalCode !== null) {
            const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join(' | ') : '';
            const safe = spec.enrollmentToken ? tail.split(spec.enrollmentToken).join('[redacted]') : tail;
            throw new Error(`The data-plane process exited (${child.exitCode ?? child.signalCode}) before it was ready; see ${logFile}: ${safe}`);
          }
          if (await healthy(url)) break;
          if (Date.now() > deadline) throw new Error(`The data plane at ${url} was not ready after ${Math.round(config.readyTimeoutMs / 1000)} s; see ${logFile}.`);
          try {
            await sleep(250, signal);
          } catch (err) {
            await stopProcess(spec.id);
            throw err;
          }
        }
        await report('local.ready', `data plane answering at ${url}`);
      }
      return {
        publicUrl: url,
        resources: { database: dbName, databaseServer: where.slice(0, where.lastIndexOf('/')), redisPrefix: prefix, port: String(port), logFile },
      };
    },

    async decommission(spec, resources, report): Promise<void> {
      const { databaseUrl, redisUrl } = requireConfig();
      await report('local.process', await stopProcess(spec.id));
      const dbName = resources.database ?? localDatabaseName(spec.id);
      if (!dbName.startsWith('orvanta_dr_')) throw new Error(`Refusing to drop database "${dbName}": not one the local driver created.`);
      await withAdmin(databaseUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));
      await report('local.database', `dropped database ${describeDatabase(databaseUrl, dbName)}`);
      const prefix = resources.redisPrefix ?? localRedisPrefix(config.redisPrefixBase, spec.id);
      const deleted = await deleteKeySpace(redisUrl, prefix);
      await report('local.redis', `deleted ${deleted} keys of ${prefix}`);
      rmSync(recordFile(spec.id), { force: true });
    },

    async stopAll(): Promise<void> {
      await Promise.all([...children.keys()].map((id) => stopProcess(id)));
      if (exitHook) {
        process.off('exit', killAllSync);
        exitHook = false;
      }
    },
  };
}
