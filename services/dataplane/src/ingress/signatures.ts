import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signature schemes. Each check uses the raw body as received, compares in
 * constant time, and (where the scheme signs a timestamp) refuses deliveries older or newer
 * than the tolerance, so a captured delivery cannot be replayed later.
 */

export type SignatureScheme = 'github' | 'stripe' | 'standard-webhooks';
const TOLERANCE_SECONDS = 300;

const equal = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};
const hmac = (key: string | Buffer, text: string, encoding: 'hex' | 'base64') => createHmac('sha256', key).update(text).digest(encoding);
const fresh = (timestamp: number, now: number) => Number.isFinite(timestamp) && Math.abs(now - timestamp) <= TOLERANCE_SECONDS;

/** Null when the delivery is genuine; otherwise why it is refused (safe to tell the sender). */
export function checkSignature(scheme: SignatureScheme, secret: string, body: string, header: (name: string) => string | undefined, now = Math.floor(Date.now() / 1000)): string | null {
  switch (scheme) {
    case 'github': {
      const given = header('x-hub-signature-256');
      if (!given) return 'X-Hub-Signature-256 is missing';
      return equal(given, `sha256=${hmac(secret, body, 'hex')}`) ? null : 'X-Hub-Signature-256 does not match';
    }
    case 'stripe': {
      const given = header('stripe-signature');
      if (!given) return 'Stripe-Signature is missing';
      const parts = given.split(',').map((p) => p.split('=') as [string, string]);
      const t = Number(parts.find(([k]) => k === 't')?.[1]);
      if (!fresh(t, now)) return 'Stripe-Signature timestamp is outside the 5-minute tolerance';
      const expected = hmac(secret, `${t}.${body}`, 'hex');
      return parts.some(([k, v]) => k === 'v1' && equal(v, expected)) ? null : 'Stripe-Signature does not match';
    }
    case 'standard-webhooks': {
      const id = header('webhook-id');
      const t = Number(header('webhook-timestamp'));
      const given = header('webhook-signature');
      if (!id || !given) return 'webhook-id or webhook-signature is missing';
      if (!fresh(t, now)) return 'webhook-timestamp is outside the 5-minute tolerance';
      const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
      const expected = hmac(key, `${id}.${t}.${body}`, 'base64');
      return given.split(' ').some((s) => s.startsWith('v1,') && equal(s.slice(3), expected)) ? null : 'webhook-signature does not match';
    }
  }
}
