import { z } from 'zod';

/**
 * Error classes that fail the same way however often they are tried, so a `retry`
 * without `on` does not retry them: a script that does not compile, output that is not
 * JSON, a JSONata expression that fails, an HTTP 4xx answer other than 429, and input the
 * node cannot use. List one in `on` to retry it anyway (an API that answers 409 until a
 * resource appears, say).
 */
export const NON_RETRYABLE_ERRORS: readonly string[] = Object.freeze(['InvalidScript', 'OutputNotSerializable', 'OutputNotStorable', 'OutputTooLarge', 'ExpressionError', 'HttpClientError', 'InvalidInput', 'EgressDenied', 'LanguageNotAllowed']);

/** Most tries a node may ask for, the first one included. */
export const MAX_RETRY_ATTEMPTS = 20;
/** Longest first-retry delay, in milliseconds (1 hour). */
export const MAX_RETRY_DELAY_MS = 3_600_000;
/** Longest cap on the delay between tries, in milliseconds (1 day). */
export const MAX_RETRY_MAX_DELAY_MS = 86_400_000;

/** What an absent `backoff`, `delayMs` or `maxDelayMs` means; validation fills them in. */
export const RETRY_DEFAULTS = Object.freeze({ backoff: 'exponential', delayMs: 1_000, maxDelayMs: 300_000 } as const);

const ms = (field: string, max: number) =>
  z
    .int({ error: `${field} must be an integer number of milliseconds` })
    .min(1, { error: `${field} must be at least 1` })
    .max(max, { error: `${field} must be at most ${max}` });

/**
 * How a failed message of this node is tried again. Try `n + 1` waits `delayMs` with
 * `fixed` backoff, `delayMs * 2^(n-1)` with `exponential`, never more than `maxDelayMs`
 * (a longer `Retry-After` from an HTTP answer wins, up to 1 hour). When the tries are used
 * up the message fails and goes to the Trash.
 */
export const retrySpecSchema = z
  .strictObject({
    /** Total tries, the first one included (1..20); `1` means no retry. */
    attempts: z
      .int({ error: 'attempts must be an integer' })
      .min(1, { error: 'attempts must be at least 1 (the first try counts)' })
      .max(MAX_RETRY_ATTEMPTS, { error: `attempts must be at most ${MAX_RETRY_ATTEMPTS}` })
      .describe('Total tries, the first one included (1..20); 1 means no retry.'),
    /** `exponential` (default) doubles the delay after each try; `fixed` keeps it at `delayMs`. */
    backoff: z
      .enum(['fixed', 'exponential'], { error: 'backoff must be "fixed" or "exponential"' })
      .default(RETRY_DEFAULTS.backoff)
      .describe('`exponential` (default) doubles the delay after each try; `fixed` keeps it at `delayMs`.'),
    /** Delay before the first retry, in milliseconds (1..3600000, default 1000). */
    delayMs: ms('delayMs', MAX_RETRY_DELAY_MS)
      .default(RETRY_DEFAULTS.delayMs)
      .describe('Delay before the first retry, in milliseconds (1..3600000, default 1000).'),
    /** Longest delay between two tries, in milliseconds (1..86400000, default 300000). */
    maxDelayMs: ms('maxDelayMs', MAX_RETRY_MAX_DELAY_MS)
      .default(RETRY_DEFAULTS.maxDelayMs)
      .describe('Longest delay between two tries, in milliseconds (1..86400000, default 300000).'),
    /**
     * Error classes that are retried (at least one). Default: every class except
     * `NON_RETRYABLE_ERRORS`; listing a class here retries it even if it is in that list.
     */
    on: z
      .array(z.string().min(1, { error: 'an error class must not be empty' }), { error: 'on must be a list of error class names' })
      .min(1, { error: 'on must list at least one error class (leave it out to retry every retryable class)' })
      .optional()
      .describe(`Error classes that are retried (at least one). Default: every class except ${NON_RETRYABLE_ERRORS.join(', ')}.`),
  })
  .superRefine((retry, ctx) => {
    // Only when both are valid on their own, so a bad value is reported once.
    const { delayMs, maxDelayMs } = retry;
    const valid = (v: unknown, max: number) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= max;
    if (!valid(delayMs, MAX_RETRY_DELAY_MS) || !valid(maxDelayMs, MAX_RETRY_MAX_DELAY_MS) || maxDelayMs >= delayMs) return;
    ctx.addIssue({
      code: 'custom',
      message: `maxDelayMs must be at least delayMs: ${maxDelayMs} < ${delayMs}${maxDelayMs === RETRY_DEFAULTS.maxDelayMs ? ` (maxDelayMs defaults to ${RETRY_DEFAULTS.maxDelayMs})` : ''}`,
      path: ['maxDelayMs'],
      input: maxDelayMs,
    });
  })
  .describe('How a failed message of this node is tried again: `attempts` tries in all, waiting `delayMs`, doubled after each try with exponential backoff, at most `maxDelayMs`.');
