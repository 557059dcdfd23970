import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkSignature } from '../src/ingress/signatures.ts';

const body = JSON.stringify({ id: 'evt_1', amount: 42 });
const now = 1_800_000_000;
const headers = (h: Record<string, string>) => (name: string) => h[name];

describe('webhook signatures', () => {
  it('GitHub: X-Hub-Signature-256 over the raw body', () => {
    const sig = `sha256=${createHmac('sha256', 'gh-secret').update(body).digest('hex')}`;
    expect(checkSignature('github', 'gh-secret', body, headers({ 'x-hub-signature-256': sig }))).toBeNull();
    expect(checkSignature('github', 'gh-secret', `${body} `, headers({ 'x-hub-signature-256': sig }))).toMatch(/does not match/);
    expect(checkSignature('github', 'other', body, headers({ 'x-hub-signature-256': sig }))).toMatch(/does not match/);
    expect(checkSignature('github', 'gh-secret', body, headers({}))).toMatch(/missing/);
  });

  it('Stripe: t and v1 in Stripe-Signature, within five minutes', () => {
    const sign = (t: number) => `t=${t},v1=${createHmac('sha256', 'whsec_stripe').update(`${t}.${body}`).digest('hex')}`;
    expect(checkSignature('stripe', 'whsec_stripe', body, headers({ 'stripe-signature': sign(now) }), now)).toBeNull();
    expect(checkSignature('stripe', 'whsec_stripe', body, headers({ 'stripe-signature': `${sign(now)},v1=deadbeef` }), now)).toBeNull();
    expect(checkSignature('stripe', 'whsec_stripe', body, headers({ 'stripe-signature': sign(now - 301) }), now)).toMatch(/tolerance/);
    expect(checkSignature('stripe', 'whsec_stripe', '{}', headers({ 'stripe-signature': sign(now) }), now)).toMatch(/does not match/);
  });

  it('Standard Webhooks: id, timestamp and base64 HMAC with a whsec_ key', () => {
    const key = Buffer.from('standard-webhooks-key').toString('base64');
    const sign = (id: string, t: number) => `v1,${createHmac('sha256', Buffer.from(key, 'base64')).update(`${id}.${t}.${body}`).digest('base64')}`;
    const ok = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(now), 'webhook-signature': `v1,bogus ${sign('msg_1', now)}` };
    expect(checkSignature('standard-webhooks', `whsec_${key}`, body, headers(ok), now)).toBeNull();
    expect(checkSignature('standard-webhooks', `whsec_${key}`, body, headers({ ...ok, 'webhook-id': 'msg_2' }), now)).toMatch(/does not match/);
    expect(checkSignature('standard-webhooks', `whsec_${key}`, body, headers({ ...ok, 'webhook-timestamp': String(now + 600) }), now)).toMatch(/tolerance/);
  });
});
