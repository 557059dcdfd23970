import { createAccountApp } from './account/app.ts';
import { createApiApp } from './api/app.ts';
import type { ServerDeps } from './api/context.ts';
import { parseControlPlaneConfig } from './config.ts';
import { createDb } from './db/client.ts';
import { createGatewayApp } from './dataplanes/gateway.ts';
import { TokenSigner } from './dataplanes/signing.ts';
import { createMailer } from './mail.ts';
import { loadRegions, RegionCatalogue, regionsDir } from './regions/catalogue.ts';
import { createDedicatedRegionWorker } from './regions/dedicated.ts';
import { createProvisioners } from './regions/provisioners/index.ts';

/**
 * The control plane's process-wide wiring, built on first use from the environment.
 * Cached on globalThis so Next's dev-mode module reloads don't open new pools.
 */
interface ServerContext extends ServerDeps {
  api: ReturnType<typeof createApiApp>;
  account: ReturnType<typeof createAccountApp>;
  gateway: ReturnType<typeof createGatewayApp>;
}

const globalKey = Symbol.for('orvanta.control-plane');
const store = globalThis as unknown as { [globalKey]?: ServerContext };

export function createServerDeps(config: ServerDeps['config']): ServerDeps {
  const db = createDb(config.DATABASE_URL, { max: config.DATABASE_POOL_MAX });
  const channelDb = config.GATEWAY_POOL_MAX > 0 ? createDb(config.DATABASE_URL, { max: config.GATEWAY_POOL_MAX }) : db;
  const regions = new RegionCatalogue(loadRegions(regionsDir(config.REGIONS_DIR)));
  return { config, db, channelDb, regions, signer: new TokenSigner(db, config.AUTH_SECRET), mailer: createMailer(db, { smtpUrl: config.SMTP_URL, devOutbox: config.MAIL_DEV_OUTBOX, from: config.MAIL_FROM }) };
}

export function createServerContext(deps: ServerDeps): ServerContext {
  return { ...deps, api: createApiApp(deps), account: createAccountApp(deps), gateway: createGatewayApp(deps) };
}

export function serverContext(): ServerContext {
  if (!store[globalKey]) {
    const context = createServerContext(createServerDeps(parseControlPlaneConfig(process.env)));
    // The dedicated-region state machine runs in every control-plane process (rows are leased); it starts with a start-up reconcile.
    createDedicatedRegionWorker(context, { provisioners: createProvisioners(context.config, { env: process.env }) }).start();
    store[globalKey] = context;
  }
  return store[globalKey];
}
