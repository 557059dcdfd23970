import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { Db, Sql, Tx } from './db.ts';
import type { Logger } from './log.ts';

/**
 * Tenants' secrets on this data plane, encrypted at rest with AES-256-GCM under a key
 * derived from SECRETS_KEY. Without SECRETS_KEY (development) a random key is kept in the
 * data plane's own database, which protects nothing against someone who can read it: real
 * installs set SECRETS_KEY (from a secret manager, never the same database).
 */
export class SecretStore {
  private key?: Promise<Buffer>;

  constructor(
    private readonly db: Db,
    private readonly sql: Sql,
    private readonly configuredKey: string | undefined,
    private readonly log?: Logger,
  ) {}

  private async material(): Promise<string> {
    if (this.configuredKey) return this.configuredKey;
    const state = await this.db.agentState.findUnique({ where: { id: 1 } });
    if (state?.secretsKey) return state.secretsKey;
    const generated = randomBytes(32).toString('base64url');
    const { count } = await this.db.agentState.updateMany({ where: { id: 1, secretsKey: null }, data: { secretsKey: generated } });
    if (count === 0) {
      const again = await this.db.agentState.findUnique({ where: { id: 1 } });
      if (!again?.secretsKey) throw new Error('The data plane must enroll before it can store secrets.');
      return again.secretsKey;
    }
    this.log?.warn('SECRETS_KEY is not set: tenant secrets are encrypted with a key kept in this data plane’s own database. Set SECRETS_KEY for a real install.');
    return generated;
  }

  private keyBuffer(): Promise<Buffer> {
    this.key ??= this.material()
      .then((m) => Buffer.from(hkdfSync('sha256', m, 'orvanta', 'tenant-secrets', 32)))
      .catch((err) => {
        this.key = undefined;
        throw err;
      });
    return this.key;
  }

  /** Stores a value unless a newer version is already there (commands can arrive late). */
  async put(tx: Tx, tenantId: string, name: string, version: number, value: string): Promise<void> {
    const key = await this.keyBuffer();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(`${tenantId}/${name}`));
    const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    const ciphertext = ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
    const current = await tx.tenantSecret.findUnique({ where: { tenantId_name: { tenantId, name } } });
    if (current && current.version >= version) return;
    await tx.tenantSecret.upsert({ where: { tenantId_name: { tenantId, name } }, create: { tenantId, name, ciphertext, version }, update: { ciphertext, version } });
  }

  async delete(tx: Tx, tenantId: string, name: string, version: number): Promise<void> {
    await tx.tenantSecret.deleteMany({ where: { tenantId, name, version: { lt: version } } });
  }

  /** Every secret of the tenant, decrypted, for rendering `{{ secrets.NAME }}`. */
  async forTenant(tenantId: string): Promise<Record<string, string>> {
    // Read on every script and http node: node-postgres, not Prisma (see db.ts).
    const { rows } = await this.sql.query<{ name: string; ciphertext: string }>('SELECT "name", "ciphertext" FROM "TenantSecret" WHERE "tenantId" = $1', [tenantId]);
    if (rows.length === 0) return {};
    const key = await this.keyBuffer();
    return Object.fromEntries(
      rows.map((row) => {
        const [, iv, tag, body] = row.ciphertext.split('.');
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv!, 'base64url'));
        decipher.setAAD(Buffer.from(`${tenantId}/${row.name}`));
        decipher.setAuthTag(Buffer.from(tag!, 'base64url'));
        return [row.name, Buffer.concat([decipher.update(Buffer.from(body!, 'base64url')), decipher.final()]).toString('utf8')];
      }),
    );
  }
}

/** Replaces every occurrence of a secret value in a JSON value with "[redacted]". */
export function redactSecrets<T>(value: T, secrets: string[]): T {
  const values = secrets.filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  if (values.length === 0) return value;
  const scrub = (v: unknown): unknown => {
    if (typeof v === 'string') return values.reduce((text, secret) => text.split(secret).join('[redacted]'), v);
    if (Array.isArray(v)) return v.map(scrub);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, scrub(x)]));
    return v;
  };
  return scrub(value) as T;
}
