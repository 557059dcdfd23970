import type { CallContext } from '../auth/actor.ts';
import type { ControlPlaneConfig } from '../config.ts';
import type { Db } from '../db/client.ts';
import type { TokenSigner } from '../dataplanes/signing.ts';
import type { Mailer } from '../mail.ts';
import type { RegionCatalogue } from '../regions/catalogue.ts';

/** What the HTTP apps need; built once per process (or per test) and passed in. */
export interface ServerDeps {
  db: Db;
  config: ControlPlaneConfig;
  signer: TokenSigner;
  mailer: Mailer;
  /** The shared regions declared in regions/ (REGIONS_DIR). */
  regions: RegionCatalogue;
}

export type ApiEnv = { Variables: { requestId: string; call: CallContext } };
