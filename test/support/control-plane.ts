import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { createTestDatabase } from '@orvanta/devstack/testing';
import { newId } from '@orvanta/protocol';
import { encode } from 'next-auth/jwt';
import { hashPassword } from '../../apps/console/src/server/auth/passwords.ts';
import { createUserSession } from '../../apps/console/src/server/auth/sessions.ts';
import type { ServerDeps } from '../../apps/console/src/server/api/context.ts';
import { parseControlPlaneConfig, type ControlPlaneConfig } from '../../apps/console/src/server/config.ts';
import { createServerContext, createServerDeps } from '../../apps/console/src/server/context.ts';
import type { Db } from '../../apps/console/src/server/db/client.ts';
import { ensureDataPlane, ensureTenant } from '../../apps/console/src/server/seed.ts';

export interface TestControlPlane {
  url: string;
  db: Db;
  deps: ServerDeps;
  /** Creates a tenant with an owner and an API key, homed on `dataPlaneId`. */
  tenant(slug: string, dataPlaneId?: string | null): ReturnType<typeof ensureTenant>;
  /**
   * Signs a member in as the console does (a `UserSession` row and the next-auth JWT
   * cookie naming it) and returns the Cookie header value plus the session id.
   */
  signIn(userId: string, tenantId: string): Promise<{ cookie: string; sessionId: string }>;
  /** Adds a person with this role to the tenant; returns their user and membership ids. */
  member(tenantId: string, email: string, role: string): Promise<{ userId: string; membershipId: string }>;
  /** Registers a data plane and returns a one-time enrollment token. */
  /** Registers a shared data plane (in eu-local unless told) and returns its enrollment token. */
  dataPlane(id: string, region?: string): Promise<string>;
  /**
   * Everything the in-process control plane wrote to the console (console.log/info/warn/
   * error/debug, one entry per call) since it started, for tests that search its logs.
   */
  logs: string[];
  /**
   * Closes the HTTP listener and drops every open connection: data planes get "connection
   * refused" as if the control plane were down. Its database stays as it is.
   */
  stopListener(): Promise<void>;
  /** Listens again on the same port. */
  startListener(): Promise<void>;
  stop(): Promise<void>;
}

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug'] as const;

/** Copies every console call of this process into `logs` (and still prints it); returns the undo. */
function captureConsole(logs: string[]): () => void {
  const originals = CONSOLE_METHODS.map((m) => [m, console[m]] as const);
  for (const [method, original] of originals) {
    console[method] = (...args: unknown[]) => {
      logs.push(args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? String(a.stack ?? a) : JSON.stringify(a) ?? String(a))).join(' '));
      original.apply(console, args);
    };
  }
  return () => {
    for (const [method, original] of originals) console[method] = original;
  };
}

/**
 * The control plane's HTTP apps (the same Hono apps Next mounts under /api/v1 and
 * /api/dataplane/v1) on a real port, over a database of this test file's own.
 */
export async function startTestControlPlane(overrides: Partial<ControlPlaneConfig> = {}): Promise<TestControlPlane> {
  const database = await createTestDatabase('control');
  const route: { handler?: (request: Request) => Response | Promise<Response> } = {};
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: (request) => route.handler!(request), port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const logs: string[] = [];
  const releaseConsole = captureConsole(logs);
  let listening = true;
  const closeListener = async () => {
    if (!listening) return;
    listening = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    if ('closeAllConnections' in server) server.closeAllConnections();
    await closed;
  };
  const config: ControlPlaneConfig = {
    ...parseControlPlaneConfig({ DATABASE_URL: database.url, AUTH_SECRET: randomBytes(32).toString('hex'), PUBLIC_URL: url, DATABASE_POOL_MAX: database.poolMax?.toString(), ...(database.poolMax ? { GATEWAY_POOL_MAX: '0' } : {}), MAIL_DEV_OUTBOX: 'true' }),
    ...overrides,
  };
  const deps = createServerDeps(config);
  const { db } = deps;
  const { api, account, gateway } = createServerContext(deps);
  route.handler = (request) => {
    const path = new URL(request.url).pathname;
    return (path.startsWith('/api/v1') ? api : path.startsWith('/api/account') ? account : gateway).fetch(request);
  };

  return {
    url,
    db,
    deps,
    tenant: (slug, dataPlaneId = null) => ensureTenant(db, { slug, name: slug, email: `owner@${slug}.test`, ownerName: `${slug} owner` }, dataPlaneId),
    async signIn(userId, tenantId) {
      const session = await createUserSession(db, { userId, tenantId, method: 'password', maxAgeSeconds: 3600 });
      const token = await encode({ token: { sub: userId, sid: session.id }, secret: config.AUTH_SECRET });
      return { cookie: `next-auth.session-token=${token}`, sessionId: session.id };
    },
    async member(tenantId, email, role) {
      const user = (await db.user.findUnique({ where: { email } })) ?? (await db.user.create({ data: { id: newId('usr'), email, name: email.split('@')[0]!, passwordHash: await hashPassword('correct horse battery') } }));
      const membership = await db.membership.create({ data: { id: newId('mem'), tenantId, userId: user.id, role } });
      return { userId: user.id, membershipId: membership.id };
    },
    dataPlane: async (id, region = 'eu-local') => (await ensureDataPlane(db, { id, name: id, kind: 'shared', region })).enrollmentToken,
    logs,
    stopListener: closeListener,
    async startListener() {
      if (listening) return;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
      listening = true;
    },
    async stop() {
      await closeListener();
      releaseConsole();
      await db.$disconnect();
      if (deps.channelDb !== db) await deps.channelDb.$disconnect();
      await database.drop();
    },
  };
}
