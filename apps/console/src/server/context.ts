import { createApiApp } from './api/app.ts';
import type { ServerDeps } from './api/context.ts';
import { createAuthOptions } from './auth/next-auth.ts';
import { parseControlPlaneConfig } from './config.ts';
import { createDb } from './db/client.ts';
import { createGatewayApp } from './dataplanes/gateway.ts';
import { TokenSigner } from './dataplanes/signing.ts';

/**
 * The control plane's process-wide wiring, built on first use from the environment.
 * Cached on globalThis so Next's dev-mode module reloads don't open new pools.
 */
interface ServerContext extends ServerDeps {
  api: ReturnType<typeof createApiApp>;
  gateway: ReturnType<typeof createGatewayApp>;
  authOptions: ReturnType<typeof createAuthOptions>;
}

const globalKey = Symbol.for('orvanta.control-plane');
const store = globalThis as unknown as { [globalKey]?: ServerContext };

export function createServerContext(deps: ServerDeps): ServerContext {
  return {
    ...deps,
    api: createApiApp(deps),
    gateway: createGatewayApp(deps),
    authOptions: createAuthOptions(deps.db, deps.config.AUTH_SECRET),
  };
}

export function serverContext(): ServerContext {
  if (!store[globalKey]) {
    const config = parseControlPlaneConfig(process.env);
    const db = createDb(config.DATABASE_URL, { max: config.DATABASE_POOL_MAX });
    store[globalKey] = createServerContext({ config, db, signer: new TokenSigner(db, config.AUTH_SECRET) });
  }
  return store[globalKey];
}
