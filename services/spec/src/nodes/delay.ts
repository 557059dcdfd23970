import { z } from 'zod';
import { nodeBaseShape } from './common.ts';

/** Longest delay a delay node may ask for, in milliseconds (30 days). */
export const MAX_DELAY_MS = 30 * 24 * 60 * 60 * 1000;

/** A node that holds each message for a while, then passes it on unchanged. */
export const delayNodeSpecSchema = z
  .strictObject({
    ...nodeBaseShape,
    /** Node kind discriminator. */
    type: z.literal('delay').describe('Node kind: waits, then passes its input on.'),
    /** How long to hold each message, in milliseconds (1..2592000000, i.e. up to 30 days). */
    durationMs: z
      .int({ error: 'durationMs must be an integer number of milliseconds' })
      .min(1, { error: 'durationMs must be at least 1' })
      .max(MAX_DELAY_MS, { error: `durationMs must be at most ${MAX_DELAY_MS} (30 days)` })
      .describe('How long to hold each message, in milliseconds (1..2592000000, i.e. up to 30 days).'),
  })
  .describe('Holds each message for `durationMs`, then passes it on unchanged.');
