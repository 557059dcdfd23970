import type { CallContext } from '../auth/actor.ts';
import type { ControlPlaneConfig } from '../config.ts';
import type { Db } from '../db/client.ts';
import type { TokenSigner } from '../dataplanes/signing.ts';
import type { Mailer } from '../mail.ts';
import type { RegionCatalogue } from '../regions/catalogue.ts';

/** What the HTTP apps need; built once per process (or per test) and passed in. */
export interface ServerDeps {
  db: Db;
  /**
   * The data planes' channel (gateway: commands, acks, events, heartbeats) on connections of
   * its own (GATEWAY_POOL_MAX): with one pool, a burst of API calls queued every data plane's
   * command pull and ack behind it (acks took 200 ms at 32 API calls in flight).
   */
  channelDb: Db;
  config: ControlPlaneConfig;
  signer: TokenSigner;
  mailer: Mailer;
  /** The shared regions declared in regions/ (REGIONS_DIR). */
  regions: RegionCatalogue;
}

export type ApiEnv = { Variables: { requestId: string; call: CallContext } };
