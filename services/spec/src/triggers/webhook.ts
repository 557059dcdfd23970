import { z } from 'zod';

/** How a webhook sender signs its deliveries. */
export const WEBHOOK_SIGNATURE_SCHEMES = ['github', 'stripe', 'standard-webhooks'] as const;

/** The document's webhook trigger settings; without them any POST to the URL starts a run. */
export const webhookTriggerSpecSchema = z
  .strictObject({
    /**
     * Verify each delivery's signature and refuse (401) what does not match: `github`
     * (X-Hub-Signature-256), `stripe` (Stripe-Signature, 5-minute tolerance) or
     * `standard-webhooks` (webhook-signature, 5-minute tolerance).
     */
    verify: z
      .strictObject({
        scheme: z.enum(WEBHOOK_SIGNATURE_SCHEMES).describe('Signature scheme of the sender.'),
        /** Name of the tenant secret holding the signing secret (set with PUT /api/v1/secrets/{name}). */
        secret: z
          .string()
          .regex(/^[A-Z][A-Z0-9_]{0,63}$/, { error: 'secret must be a secret name: upper-case letters, digits and "_", starting with a letter' })
          .describe('Name of the tenant secret holding the signing secret.'),
      })
      .optional()
      .describe("Verify each delivery's signature; deliveries that do not match are refused with 401."),
  })
  .describe('Settings of the webhook trigger (links.webhook on the workflow).');

export type WebhookTriggerSpec = z.output<typeof webhookTriggerSpecSchema>;
