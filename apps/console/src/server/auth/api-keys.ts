import { createHash, randomBytes } from 'node:crypto';

/**
 * API key format: `orv_` + 30 random base62 characters + a 6-character base62 CRC-32 of
 * them. The fixed prefix lets secret scanners find leaked keys; the checksum refuses a
 * mistyped or forged key before any database lookup. Only the SHA-256 is stored.
 */
const PREFIX = 'orv_';
const BODY_LENGTH = 30;
const CHECKSUM_LENGTH = 6;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KEY_PATTERN = new RegExp(`^${PREFIX}[0-9A-Za-z]{${BODY_LENGTH + CHECKSUM_LENGTH}}$`);

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text)) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function base62(value: number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out = BASE62[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

export interface GeneratedApiKey {
  secret: string;
  /** Shown in lists: enough to tell keys apart, useless to an attacker. */
  prefix: string;
  hash: string;
}

export function generateApiKey(): GeneratedApiKey {
  const bytes = randomBytes(BODY_LENGTH);
  let body = '';
  for (const b of bytes) body += BASE62[b % 62];
  const secret = `${PREFIX}${body}${base62(crc32(body), CHECKSUM_LENGTH)}`;
  return { secret, prefix: secret.slice(0, PREFIX.length + 8), hash: hashApiKey(secret) };
}

/** True when the key has the right shape and checksum. Says nothing about validity. */
export function isWellFormedApiKey(secret: string): boolean {
  if (!KEY_PATTERN.test(secret)) return false;
  const body = secret.slice(PREFIX.length, PREFIX.length + BODY_LENGTH);
  return secret.slice(PREFIX.length + BODY_LENGTH) === base62(crc32(body), CHECKSUM_LENGTH);
}

export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
