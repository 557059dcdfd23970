import type { CallContext } from '../auth/actor.ts';
import type { ControlPlaneConfig } from '../config.ts';
import type { Db } from '../db/client.ts';
import type { TokenSigner } from '../dataplanes/signing.ts';
import type { Mailer } from '../mail.ts';

/** What the HTTP apps need; built once per process (or per test) and passed in. */
export interface ServerDeps {
  db: Db;
  config: ControlPlaneConfig;
  signer: TokenSigner;
  mailer: Mailer;
}

export type ApiEnv = { Variables: { requestId: string; call: CallContext } };
