import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { TOKEN_ISSUER, type DataPlaneTokenClaims, type Jwks } from '@orvanta/protocol';
import type { Db } from '../db/client.ts';
import { open, seal } from '../lib/secretbox.ts';
import { newId } from '@orvanta/protocol';

const ALG = 'ES256';
/** Data-plane read tokens live for minutes: long enough to load a run page. */
export const DATA_TOKEN_TTL_SECONDS = 5 * 60;

const PURPOSE = 'signing-key-encryption';

/** Signs short-lived tokens that browsers present to a data plane's ingress. */
export class TokenSigner {
  private current?: Promise<{ kid: string; key: CryptoKey | Uint8Array }>;

  constructor(
    private readonly db: Db,
    private readonly authSecret: string,
  ) {}

  private async activeKey() {
    this.current ??= this.loadOrCreate().catch((err) => {
      this.current = undefined;
      throw err;
    });
    return this.current;
  }

  private async loadOrCreate() {
    let row = await this.db.signingKey.findFirst({ where: { retiredAt: null }, orderBy: { createdAt: 'desc' } });
    if (!row) {
      const { publicKey, privateKey } = await generateKeyPair(ALG, { extractable: true });
      const kid = newId('key');
      const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' };
      const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: ALG };
      row = await this.db.signingKey.create({
        data: { kid, alg: ALG, publicJwk, privateJwk: seal(JSON.stringify(privateJwk), this.authSecret, PURPOSE) },
      });
    }
    const jwk = JSON.parse(open(row.privateJwk, this.authSecret, PURPOSE)) as JWK;
    return { kid: row.kid, key: await importJWK(jwk, ALG) };
  }

  async jwks(): Promise<Jwks> {
    await this.activeKey();
    const rows = await this.db.signingKey.findMany({ where: { retiredAt: null }, orderBy: { createdAt: 'asc' } });
    return { keys: rows.map((r) => r.publicJwk as Record<string, unknown>) };
  }

  async sign(claims: Omit<DataPlaneTokenClaims, 'iss' | 'iat' | 'exp'>): Promise<{ token: string; expiresAt: Date }> {
    const { kid, key } = await this.activeKey();
    const now = Math.floor(Date.now() / 1000);
    const exp = now + DATA_TOKEN_TTL_SECONDS;
    const { aud, sub, ...rest } = claims;
    const token = await new SignJWT(rest)
      .setProtectedHeader({ alg: ALG, kid })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(aud)
      .setSubject(sub)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .sign(key);
    return { token, expiresAt: new Date(exp * 1000) };
  }
}
