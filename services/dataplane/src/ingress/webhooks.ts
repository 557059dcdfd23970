import { createHash } from 'node:crypto';
import { newId, nulPath, nulProblem } from '@orvanta/protocol';
import type { Context } from 'hono';
import type { Db } from '../db.ts';
import { emitEvent } from '../engine/outbox.ts';
import type { NodeQueue } from '../engine/queue.ts';
import { createRun } from '../engine/start-run.ts';
import type { SecretStore } from '../secrets.ts';
import { checkSignature, type SignatureScheme } from './signatures.ts';

/** Largest webhook body accepted (10 MiB), kept in this data plane's database like any input. */
export const MAX_WEBHOOK_BYTES = 10 * 1024 * 1024;

/**
 * The sender's id for this delivery, so a redelivery starts nothing new: GitHub's
 * X-GitHub-Delivery, Standard Webhooks' webhook-id, Stripe's event id, or an
 * Idempotency-Key the caller sets.
 */
function deliveryId(c: Context, body: unknown): string | null {
  const header = c.req.header('x-github-delivery') ?? c.req.header('webhook-id') ?? c.req.header('idempotency-key');
  if (header) return header.slice(0, 200);
  if (c.req.header('stripe-signature') && body && typeof body === 'object' && typeof (body as { id?: unknown }).id === 'string') return (body as { id: string }).id;
  return null;
}

/**
 * POST /v1/hooks/:token — starts a run of the workflow the token names, here, without the
 * control plane (which learns of it from a `run.created` event, and can be unreachable
 * meanwhile). The run's input is `{ body, headers, query }`.
 */
export async function receiveWebhook(c: Context, deps: { db: Db; queue: NodeQueue; secrets: SecretStore }) {
  const tokenHash = createHash('sha256').update(c.req.param('token') ?? '').digest('hex');
  const hook = await deps.db.webhook.findUnique({ where: { tokenHash } });
  if (!hook) return c.json({ title: 'Not found', status: 404, detail: 'No workflow listens on this webhook URL.' }, 404, { 'content-type': 'application/problem+json' });
  const declared = Number(c.req.header('content-length') ?? 0);
  if (declared > MAX_WEBHOOK_BYTES) return c.json({ title: 'Payload too large', status: 413, detail: `Webhook bodies are limited to ${MAX_WEBHOOK_BYTES} bytes.` }, 413);
  const text = await c.req.text();
  if (Buffer.byteLength(text) > MAX_WEBHOOK_BYTES) return c.json({ title: 'Payload too large', status: 413, detail: `Webhook bodies are limited to ${MAX_WEBHOOK_BYTES} bytes.` }, 413);
  const version = await deps.db.workflowVersion.findUniqueOrThrow({ where: { id: hook.workflowVersionId } });
  const verify = (version.document as { triggers?: { webhook?: { verify?: { scheme: SignatureScheme; secret: string } } } }).triggers?.webhook?.verify;
  if (verify) {
    const secret = (await deps.secrets.forTenant(hook.tenantId))[verify.secret];
    if (secret === undefined) {
      return c.json({ title: 'Not configured', status: 503, detail: `This webhook verifies signatures with the secret ${verify.secret}, which is not set on this data plane yet.` }, 503, { 'content-type': 'application/problem+json' });
    }
    const refused = checkSignature(verify.scheme, secret, text, (name) => c.req.header(name));
    if (refused) return c.json({ title: 'Invalid signature', status: 401, detail: `The delivery is refused: ${refused}.` }, 401, { 'content-type': 'application/problem+json' });
  }
  let body: unknown = text;
  if (/json/i.test(c.req.header('content-type') ?? '') && text) {
    try {
      body = JSON.parse(text);
    } catch {
      return c.json({ title: 'Malformed body', status: 400, detail: 'The body is not valid JSON.' }, 400);
    }
  }
  const headers = Object.fromEntries([...c.req.raw.headers.entries()].filter(([k]) => !['authorization', 'cookie'].includes(k)));
  const input = { body, headers, query: c.req.query() };
  const nul = nulPath(input);
  if (nul) return c.json({ title: 'Delivery not storable', status: 422, detail: nulProblem('The delivery', nul) }, 422, { 'content-type': 'application/problem+json' });
  const delivery = deliveryId(c, body);

  const result = await deps.db.$transaction(async (tx) => {
    if (delivery) {
      const seen = await tx.webhookDelivery.findUnique({ where: { id: `${tokenHash}:${delivery}` } });
      if (seen) return { runId: seen.runId, replayed: true, jobs: [] };
    }
    const runId = newId('run');
    if (delivery) await tx.webhookDelivery.create({ data: { id: `${tokenHash}:${delivery}`, runId } });
    const at = new Date().toISOString();
    await emitEvent(tx, {
      type: 'run.created',
      payload: { runId, tenantId: hook.tenantId, at, workflowId: hook.workflowId, workflowVersionId: hook.workflowVersionId, trigger: 'webhook', inputBytes: Buffer.byteLength(JSON.stringify(input)) },
    });
    const jobs = await createRun(tx, { runId, tenantId: hook.tenantId, workflowId: hook.workflowId, workflowVersionId: hook.workflowVersionId, input });
    return { runId, replayed: false, jobs };
  });
  // After commit; if Redis is away the reconciler enqueues them later.
  await deps.queue.enqueue(result.jobs).catch(() => undefined);
  return c.json({ runId: result.runId, replayed: result.replayed }, result.replayed ? 200 : 202);
}
