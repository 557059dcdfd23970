import { z } from 'zod';
import { nodeBaseShape } from './common.ts';

/** Largest accepted script source, in UTF-8 bytes (256 KiB). */
export const MAX_SCRIPT_BYTES = 256 * 1024;
/** Longest timeout a script node may ask for, in milliseconds (5 minutes). */
export const MAX_SCRIPT_TIMEOUT_MS = 300_000;

const codeTooLarge = `code must be at most ${MAX_SCRIPT_BYTES / 1024} KiB (UTF-8)`;

function utf8Bytes(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      bytes += 4; // surrogate pair: one astral code point
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** A node that runs a user-supplied script in the data plane's sandbox. */
export const scriptNodeSpecSchema = z
  .strictObject({
    ...nodeBaseShape,
    /** Node kind discriminator. */
    type: z.literal('script').describe('Node kind: runs a script.'),
    /** Language of `code`. Only JavaScript (ES modules) for now. */
    language: z.literal('javascript').describe('Language of `code`. Only JavaScript (ES modules) for now.'),
    /**
     * ES module source whose default export is `(input, ctx) => output` (may be async).
     * At most 256 KiB of UTF-8.
     */
    code: z
      .string()
      .min(1, { error: 'code must not be empty' })
      // maxLength in UTF-16 units is implied by the byte limit and shows up in the JSON Schema;
      // the refine enforces the exact byte limit without reporting the same problem twice.
      .max(MAX_SCRIPT_BYTES, { error: codeTooLarge })
      .refine((s) => s.length > MAX_SCRIPT_BYTES || utf8Bytes(s) <= MAX_SCRIPT_BYTES, { error: codeTooLarge })
      .describe('ES module source whose default export is `(input, ctx) => output` (may be async). At most 256 KiB of UTF-8.'),
    /** Wall-clock limit for one execution, in milliseconds (1..300000); defaults to the data plane's limit. */
    timeoutMs: z
      .int({ error: 'timeoutMs must be an integer number of milliseconds' })
      .min(1, { error: 'timeoutMs must be at least 1' })
      .max(MAX_SCRIPT_TIMEOUT_MS, { error: `timeoutMs must be at most ${MAX_SCRIPT_TIMEOUT_MS}` })
      .optional()
      .describe("Wall-clock limit for one execution, in milliseconds; defaults to the data plane's limit."),
  })
  .describe('Runs a JavaScript module in the sandbox.');
