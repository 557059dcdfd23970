import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { dataPlaneTokenClaimsSchema, gatewayPaths, TOKEN_ISSUER, type DataPlaneTokenClaims } from '@orvanta/protocol';
import type { Db, Prisma } from '../db.ts';

export class TokenRejected extends Error {}

/**
 * Verifies the short-lived tokens the control plane signs for browsers. Keys come from
 * the control plane's JWKS, cached in this data plane's database so verification keeps
 * working while the control plane is unreachable.
 */
export class TokenVerifier {
  private cached?: { jwks: JSONWebKeySet; at: number };

  constructor(
    private readonly db: Db,
    private readonly controlPlaneUrl: string,
  ) {}

  private async keys(refresh: boolean): Promise<{ dataPlaneId: string; jwks: JSONWebKeySet }> {
    const state = await this.db.agentState.findUnique({ where: { id: 1 } });
    if (!state) throw new TokenRejected('This data plane is not enrolled yet.');
    if (refresh) {
      // An unknown key id: the control plane may have rotated. Fetch, keep on failure.
      const response = await fetch(new URL(gatewayPaths.jwks, this.controlPlaneUrl), { signal: AbortSignal.timeout(5000) }).catch(() => null);
      if (response?.ok) {
        const jwks = (await response.json()) as JSONWebKeySet;
        await this.db.agentState.update({ where: { id: 1 }, data: { jwks: jwks as unknown as Prisma.InputJsonValue, jwksFetchedAt: new Date() } });
        this.cached = { jwks, at: Date.now() };
      }
    }
    if (!this.cached || Date.now() - this.cached.at > 30_000) this.cached = { jwks: (state.jwks ?? { keys: [] }) as unknown as JSONWebKeySet, at: Date.now() };
    return { dataPlaneId: state.dataPlaneId, jwks: this.cached.jwks };
  }

  async verify(token: string): Promise<DataPlaneTokenClaims> {
    for (const refresh of [false, true]) {
      const { dataPlaneId, jwks } = await this.keys(refresh);
      try {
        const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: TOKEN_ISSUER, audience: dataPlaneId, algorithms: ['ES256'] });
        return dataPlaneTokenClaimsSchema.parse(payload);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'ERR_JWKS_NO_MATCHING_KEY' && !refresh) continue;
        throw new TokenRejected(code === 'ERR_JWT_EXPIRED' ? 'The link has expired. Reload the run page for a fresh one.' : 'The token is invalid for this data plane.');
      }
    }
    throw new TokenRejected('The token is invalid for this data plane.');
  }
}
