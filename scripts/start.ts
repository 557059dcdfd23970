/**
 * `npm start`: the whole platform on one machine — the control plane (console + API) and
 * the two local shared regions of regions/ (eu-local and us-local), each a data plane of
 * its own (its own database and Redis key space) that enrolls itself, plus demo tenants.
 *
 * DATABASE_URL, DATAPLANE_DATABASE_URL and REDIS_URL point it at real servers (the second
 * region's database is a sibling of DATAPLANE_DATABASE_URL's, named with its region); left
 * unset, embedded ones are started (PGlite and a Redis child) with their data kept under
 * ORVANTA_HOME (default ./.orvanta), so a second start reuses the demo data.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { migrate } from '@orvanta/migrate';
import { startEmbeddedPostgres, startEmbeddedRedis } from '@orvanta/devstack';
import { createDb } from '../apps/console/src/server/db/client.ts';
import { ensureDataPlane, ensureTenant, type DemoCredentials } from '../apps/console/src/server/seed.ts';
import { consoleBuildIsStale } from './lib/build.ts';
import { ensureDatabase } from './lib/databases.ts';
import { maskUrl, startChild, stopChild, waitFor, type Child } from './lib/processes.ts';

const root = path.resolve(import.meta.dirname, '..');
// Run Next's CLI with node directly: signals sent to `npx` do not reach the server it starts.
const nextBin = path.join(root, 'node_modules/next/dist/bin/next');

const envSchema = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  DATAPLANE_PORT: z.coerce.number().int().min(1).max(65535).default(3100),
  DATABASE_URL: z.string().optional(),
  DATAPLANE_DATABASE_URL: z.string().optional(),
  REDIS_URL: z.string().optional(),
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]+$/).default('orvanta'),
  AUTH_SECRET: z.string().min(32).optional(),
  ORVANTA_HOME: z.string().default(path.join(root, '.orvanta')),
});

// Two demo tenants, so isolation can be seen at once: sign in as one, try the other's key.
// Acme is at home in the EU region, Globex in the US one.
const DEMO_TENANTS = [
  { slug: 'acme', name: 'Acme Corp', email: 'owner@acme.test', ownerName: 'Ada Owner', region: 'eu-local' },
  { slug: 'globex', name: 'Globex Inc', email: 'owner@globex.test', ownerName: 'Hank Owner', region: 'us-local' },
];
/** The local shared regions (regions/*.yaml), each served by one data plane; ports count up from DATAPLANE_PORT. */
const LOCAL_REGIONS = [
  { region: 'eu-local', id: 'dp_eu_local', name: 'Europe (local) shared data plane' },
  { region: 'us-local', id: 'dp_us_local', name: 'United States (local) shared data plane' },
];

/** The database of the n-th region's data plane: the URL given for the first, a sibling named after the region for the others. */
function regionDatabaseUrl(url: string, region: string, index: number): string {
  if (index === 0) return url;
  const sibling = new URL(url);
  sibling.pathname = `${sibling.pathname.replace(/\/$/, '')}_${region.replaceAll('-', '_')}`;
  return sibling.toString();
}

const cleanups: (() => Promise<void>)[] = [];
const children: Child[] = [];
let shuttingDown = false;

async function shutdown(code: number): Promise<never> {
  if (!shuttingDown) {
    shuttingDown = true;
    console.log('Stopping Orvanta…');
    await Promise.all(children.map((child) => stopChild(child)));
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err) => console.error(`cleanup failed: ${(err as Error).message}`));
  }
  process.exit(code);
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function writePrivate(file: string, content: string) {
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600);
}

async function main() {
  const parsed = envSchema.safeParse(process.env);
  if (!parsed.success) {
    console.error(`Invalid configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    process.exit(2);
  }
  const env = parsed.data;
  mkdirSync(env.ORVANTA_HOME, { recursive: true });
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  // Secrets for this installation, kept beside its embedded data.
  const secretFile = path.join(env.ORVANTA_HOME, 'auth-secret');
  const authSecret = env.AUTH_SECRET ?? readJson<string>(secretFile) ?? randomBytes(32).toString('base64url');
  if (!env.AUTH_SECRET && !existsSync(secretFile)) writePrivate(secretFile, JSON.stringify(authSecret));

  const notes: string[] = [];
  /** A database URL plus the pool size an embedded one needs (real servers keep the programs' default). */
  async function database(url: string | undefined, label: string, dir: string): Promise<{ url: string; poolEnv: { DATABASE_POOL_MAX?: string; GATEWAY_POOL_MAX?: string } }> {
    if (url) {
      if (await ensureDatabase(url)) notes.push(`created database ${maskUrl(url)}`);
      return { url, poolEnv: {} };
    }
    const pg = await startEmbeddedPostgres({ dataDir: path.join(env.ORVANTA_HOME, dir) });
    cleanups.push(pg.stop);
    notes.push(`${label}: embedded PGlite in ${path.join(env.ORVANTA_HOME, dir)} (set ${label === 'control plane' ? 'DATABASE_URL' : 'DATAPLANE_DATABASE_URL'} to use a real server)`);
    // One session: the console's data-plane channel shares its pool.
    return { url: pg.url, poolEnv: { DATABASE_POOL_MAX: String(pg.poolMax), GATEWAY_POOL_MAX: '0' } };
  }
  const { url: controlUrl, poolEnv: controlPool } = await database(env.DATABASE_URL, 'control plane', 'pg-control');
  const regionPlanes: ((typeof LOCAL_REGIONS)[number] & { port: number; database: string; poolEnv: { DATABASE_POOL_MAX?: string; GATEWAY_POOL_MAX?: string }; enrollmentToken?: string })[] = [];
  for (const [index, spec] of LOCAL_REGIONS.entries()) {
    const given = env.DATAPLANE_DATABASE_URL ? regionDatabaseUrl(env.DATAPLANE_DATABASE_URL, spec.region, index) : undefined;
    const { url, poolEnv } = await database(given, `data plane ${spec.region}`, `pg-dataplane-${spec.region}`);
    regionPlanes.push({ ...spec, port: env.DATAPLANE_PORT + index, database: url, poolEnv });
  }
  let redisUrl = env.REDIS_URL;
  if (!redisUrl) {
    const redis = await startEmbeddedRedis();
    cleanups.push(redis.stop);
    redisUrl = redis.url;
    notes.push('redis: embedded redis-server child (set REDIS_URL to use a real server)');
  }

  for (const [plane, url, label] of [['control', controlUrl, 'control plane'] as const, ...regionPlanes.map((r) => ['dataplane', r.database, `data plane ${r.region}`] as const)]) {
    const { applied } = await migrate({ connectionString: url, plane });
    if (applied.length) notes.push(`${label} migrations applied: ${applied.join(', ')}`);
  }

  // Demo data: reused when it still works, replaced (and audited) when it does not.
  const demoFile = path.join(env.ORVANTA_HOME, 'demo.json');
  const consoleUrl = `http://localhost:${env.PORT}`;
  const db = createDb(controlUrl, { max: 1 });
  for (const plane of regionPlanes) {
    plane.enrollmentToken = (await ensureDataPlane(db, { id: plane.id, name: plane.name, kind: 'shared', region: plane.region })).enrollmentToken;
  }
  const saved = readJson<DemoCredentials & { tenants?: DemoCredentials[] }>(demoFile);
  const tenants: DemoCredentials[] = [];
  for (const { region, ...spec } of DEMO_TENANTS) {
    const previous = saved?.tenants?.find((t) => t.slug === spec.slug) ?? (saved?.slug === spec.slug ? saved : undefined);
    const home = regionPlanes.find((r) => r.region === region)!;
    const { tenantId: _t, userId: _u, ...credentials } = await ensureTenant(db, spec, home.id, previous);
    tenants.push(credentials);
  }
  // Acme is on the enterprise plan, which includes dedicated regions.
  await db.tenant.update({ where: { slug: 'acme' }, data: { plan: 'enterprise' } });
  const demo = tenants[0]!;
  await db.$disconnect();

  if (consoleBuildIsStale(root)) {
    console.log('Building the console (first start or sources changed)…');
    execFileSync(process.execPath, [nextBin, 'build'], { cwd: path.join(root, 'apps/console'), stdio: 'inherit', env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } });
  }

  const mailNote = process.env.SMTP_URL ? undefined : `Mail: not sent (no SMTP_URL); read invitations and reset links at ${consoleUrl}/dev/mail`;
  const consoleChild = startChild('console', process.execPath, [nextBin, 'start', '-p', String(env.PORT)], {
    cwd: path.join(root, 'apps/console'),
    env: {
      ...process.env,
      NEXT_TELEMETRY_DISABLED: '1',
      DATABASE_URL: controlUrl,
      AUTH_SECRET: authSecret,
      NEXTAUTH_SECRET: authSecret,
      NEXTAUTH_URL: consoleUrl,
      PUBLIC_URL: consoleUrl,
      // Without an SMTP server, invitations and password resets land in the dev outbox.
      MAIL_DEV_OUTBOX: process.env.SMTP_URL ? 'false' : 'true',
      ...controlPool,
      // Dedicated regions with the local driver: their databases on the same Postgres server
      // (a real one: embedded PGlite holds a single database, and the console says so), their
      // keys in the same Redis, their state and logs under ORVANTA_HOME/dedicated.
      ...(env.DATABASE_URL ? { LOCAL_PROVISIONER_DATABASE_URL: env.DATABASE_URL } : {}),
      LOCAL_PROVISIONER_REDIS_URL: redisUrl,
      LOCAL_PROVISIONER_REDIS_PREFIX: env.REDIS_PREFIX,
      LOCAL_PROVISIONER_DIR: path.join(env.ORVANTA_HOME, 'dedicated'),
    },
  });
  children.push(consoleChild);
  void consoleChild.exited.then((code) => !shuttingDown && (console.error(`The console exited (${code}).`), shutdown(1)));
  await waitFor('console', async () => (await fetch(`${consoleUrl}/api/v1/openapi.json`)).ok, { timeoutMs: 60_000, abortIf: consoleChild.exited });

  // One data-plane process per region, each with its own database and Redis key space.
  await Promise.all(
    regionPlanes.map(async (plane) => {
      const child = startChild(`dataplane ${plane.region}`, process.execPath, ['--import', 'tsx', path.join(root, 'services/dataplane/src/main.ts'), 'all'], {
        cwd: root,
        env: {
          ...process.env,
          DATABASE_URL: plane.database,
          ...plane.poolEnv,
          REDIS_URL: redisUrl,
          REDIS_PREFIX: `${env.REDIS_PREFIX}:${plane.region}`,
          CONTROL_PLANE_URL: consoleUrl,
          ENROLLMENT_TOKEN: plane.enrollmentToken,
          PORT: String(plane.port),
          HOST: '127.0.0.1',
          PUBLIC_URL: `http://localhost:${plane.port}`,
        },
      });
      children.push(child);
      void child.exited.then((code) => !shuttingDown && (console.error(`The ${plane.region} data plane exited (${code}).`), shutdown(1)));
      await waitFor(`data plane ${plane.region}`, async () => ((await (await fetch(`http://127.0.0.1:${plane.port}/healthz`)).json()) as { ready: boolean }).ready, {
        timeoutMs: 60_000,
        abortIf: child.exited,
      });
    }),
  );

  // The first tenant's fields stay at the top level (scripts read them); every tenant is in `tenants`.
  const credentials = { slug: demo.slug, email: demo.email, password: demo.password, apiKey: demo.apiKey, consoleUrl, tenants };
  writePrivate(demoFile, JSON.stringify(credentials, null, 2));

  console.log(
    [
      '',
      'Orvanta is running.',
      ...notes.map((n) => `  (${n})`),
      `Console: ${consoleUrl}`,
      `Login: ${demo.email} / ${demo.password}`,
      `API key: ${demo.apiKey}`,
      ...tenants.map((t) => `Tenant ${t.slug}: login ${t.email} / ${t.password}, API key: ${t.apiKey}`),
      ...(mailNote ? [mailNote] : []),
      `Control-plane database: ${maskUrl(controlUrl)}`,
      ...regionPlanes.map((p) => `Region ${p.region}: data plane ${p.id}, ingress http://localhost:${p.port}, database ${maskUrl(p.database)}`),
      `Redis: ${maskUrl(redisUrl)}`,
      '',
      'Try it:',
      `  curl -s -X POST ${consoleUrl}/api/v1/workflows -H "Authorization: Bearer ${demo.apiKey}" -H "Content-Type: application/yaml" --data-binary @examples/hello.yaml`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
}

main().catch(async (err) => {
  console.error(`Orvanta failed to start: ${(err as Error).message}`);
  await shutdown(1);
});
