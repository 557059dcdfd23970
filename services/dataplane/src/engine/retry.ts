import { NON_RETRYABLE_ERRORS } from '@orvanta/spec';

/**
 * Per-node retries: which failures are retried and how long to wait before the next try.
 * `attempts` counts every try, the first included; an absent `retry` means one try.
 */

export interface RetryPolicy {
  attempts: number;
  backoff?: 'fixed' | 'exponential';
  delayMs?: number;
  maxDelayMs?: number;
  on?: string[];
}


/** Milliseconds to wait before try `attempt + 1`, or null when the message has to fail now. */
export function nextRetryDelay(policy: RetryPolicy | undefined, attempt: number, errorClass: string): number | null {
  if (!policy || attempt >= policy.attempts) return null;
  const retryable = policy.on ? policy.on.includes(errorClass) : !NON_RETRYABLE_ERRORS.includes(errorClass);
  if (!retryable) return null;
  const base = policy.delayMs ?? 1_000;
  const max = policy.maxDelayMs ?? 300_000;
  const delay = policy.backoff === 'fixed' ? base : base * 2 ** (attempt - 1);
  return Math.min(delay, max);
}
