import { z } from 'zod';
import { checkTemplates, templateExpressions, templateJsonSchema, templateStringSchema } from '../expressions.ts';
import { nodeBaseShape } from './common.ts';

/** Application names: the key of the per-application rate limits. */
export const APPLICATION_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
/** Methods an http node may send. */
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;
/** A header name: an HTTP token (RFC 9110). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const TEMPLATE_NOTE = '`{{ expr }}` templates are JSONata evaluated against `{ input, ctx, secrets }`.';

/** The request an http node sends; strings in `url`, header values and `body` are templates. */
export const httpRequestSpecSchema = z
  .strictObject({
    /** HTTP method (default `GET`); a body is not sent with `GET` or `HEAD`. */
    method: z
      .enum(HTTP_METHODS, { error: `method must be one of: ${HTTP_METHODS.join(', ')}` })
      .default('GET')
      .describe('HTTP method (default `GET`); a body is not sent with `GET` or `HEAD`.'),
    /** Absolute http(s) URL; may hold templates. */
    url: z
      .string()
      .min(1, { error: 'url must not be empty' })
      .superRefine((url, ctx) => {
        checkTemplates(url, ctx);
        // Only a URL without templates is known before the run.
        if (url.length === 0 || templateExpressions(url).length > 0) return;
        let parsed: URL | undefined;
        try {
          parsed = new URL(url);
        } catch {
          ctx.addIssue({ code: 'custom', message: 'url must be an absolute http or https URL', input: url });
          return;
        }
        if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
          ctx.addIssue({ code: 'custom', message: `url must use http or https, not ${parsed.protocol.slice(0, -1)}`, input: url });
        }
      })
      .describe(`Absolute http or https URL. ${TEMPLATE_NOTE}`),
    /** Request headers; values may hold templates. */
    headers: z
      .record(z.string().regex(HEADER_NAME, { error: 'header name must be an HTTP token (letters, digits and !#$%&\'*+-.^_`|~)' }), templateStringSchema('Header value.'), {
        error: 'headers must map header names to string values',
      })
      .optional()
      .describe(`Request headers; values may hold templates. ${TEMPLATE_NOTE}`),
    /**
     * Request body: any JSON value, sent as JSON (`content-type: application/json` unless
     * set), or as is when it is a string. Strings inside it are templates; a string that is
     * exactly one template takes the expression's value, of any JSON type.
     */
    body: templateJsonSchema('body', `Request body: any JSON value; strings inside it are templates. ${TEMPLATE_NOTE}`).optional(),
  })
  .describe('The request an http node sends.');

/** A node that sends one HTTP request per message, under its application's rate limits. */
export const httpNodeSpecSchema = z
  .strictObject({
    ...nodeBaseShape,
    /** Node kind discriminator. */
    type: z.literal('http').describe('Node kind: sends an HTTP request.'),
    /** The named application whose rate limits apply (1..64 of a-z, 0-9, `_`, `-`, starting with a letter or digit). */
    application: z
      .string()
      .min(1, { error: 'application must not be empty', abort: true })
      .max(64, { error: 'application must be at most 64 characters' })
      .regex(APPLICATION_PATTERN, { error: 'application must start with a lowercase letter or digit and contain only lowercase letters, digits, "_" and "-"' })
      .describe('The named application whose rate limits apply (1..64 of a-z, 0-9, `_`, `-`, starting with a letter or digit).'),
    /** The request to send. */
    request: httpRequestSpecSchema,
  })
  .describe('Sends an HTTP request; its output is `{ status, headers, body }`.');
