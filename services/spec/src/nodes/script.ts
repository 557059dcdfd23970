import { z } from 'zod';
import { MAX_NODE_TIMEOUT_MS, nodeBaseShape } from './common.ts';

/** Largest accepted script source, in UTF-8 bytes (256 KiB). */
export const MAX_SCRIPT_BYTES = 256 * 1024;
/**
 * @deprecated `timeoutMs` is common to every node kind now; use `MAX_NODE_TIMEOUT_MS`.
 * Scripts accept the same range as every other kind.
 */
export const MAX_SCRIPT_TIMEOUT_MS = MAX_NODE_TIMEOUT_MS;

/**
 * Languages a script node may be written in. `python` and `shell` run only on data planes whose
 * operator allows them (`SCRIPT_LANGUAGES`); elsewhere the node fails with `LanguageNotAllowed`.
 */
export const SCRIPT_LANGUAGES = ['javascript', 'typescript', 'python', 'shell'] as const;

const languageHelp =
  'Language of `code`: `javascript` or `typescript` (type annotations are removed before it runs), ' +
  'or `python` or `shell` (bash), which run only on data planes that allow them.';
const codeHelp =
  'javascript/typescript: an ES module whose default export is `(input, ctx) => output` (may be async). ' +
  'python: a module defining `def main(input, ctx):` that returns the output (may be async). ' +
  'shell: a bash script that reads the input as JSON on stdin and writes the output to stdout. ' +
  'At most 256 KiB of UTF-8.';

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
    /**
     * Language of `code`: `javascript` or `typescript` (type annotations are removed before it
     * runs), or `python` or `shell` (bash), which run only on data planes that allow them.
     */
    language: z.enum(SCRIPT_LANGUAGES, { error: `language must be one of: ${SCRIPT_LANGUAGES.join(', ')}` }).describe(languageHelp),
    /**
     * javascript/typescript: an ES module whose default export is `(input, ctx) => output` (may
     * be async). python: a module defining `def main(input, ctx):` that returns the output (may
     * be async). shell: a bash script that reads the input as JSON on stdin and writes the
     * output to stdout. At most 256 KiB of UTF-8.
     */
    code: z
      .string()
      .min(1, { error: 'code must not be empty' })
      // maxLength in UTF-16 units is implied by the byte limit and shows up in the JSON Schema;
      // the refine enforces the exact byte limit without reporting the same problem twice.
      .max(MAX_SCRIPT_BYTES, { error: codeTooLarge })
      .refine((s) => s.length > MAX_SCRIPT_BYTES || utf8Bytes(s) <= MAX_SCRIPT_BYTES, { error: codeTooLarge })
      .describe(codeHelp),
  })
  .describe('Runs a script in the sandbox: JavaScript, TypeScript, or where the data plane allows them Python and shell.');
