import type { Context } from 'hono';
import type { ZodError } from 'zod';
import { AppError, type FieldIssue } from '../errors.ts';

export const PROBLEM_TYPE_BASE = 'https://orvanta.dev/problems/';

/** RFC 9457 problem body. `errors` lists offending fields for validation problems. */
export function problemResponse(c: Context, err: AppError): Response {
  const body = {
    type: `${PROBLEM_TYPE_BASE}${err.code.replaceAll('_', '-')}`,
    title: err.title,
    status: err.status,
    detail: err.detail,
    instance: new URL(c.req.url).pathname,
    requestId: c.get('requestId' as never) as string | undefined,
    ...err.extra,
  };
  const headers = new Headers(c.res?.headers);
  headers.set('content-type', 'application/problem+json');
  if (err.status === 401) headers.set('www-authenticate', 'Bearer');
  if (typeof err.extra.retryAfter === 'number') headers.set('retry-after', String(err.extra.retryAfter));
  return new Response(JSON.stringify(body), { status: err.status, headers });
}

export function zodIssues(error: ZodError, prefix?: string): FieldIssue[] {
  return error.issues.map((issue) => {
    const segments = [...(prefix ? [prefix] : []), ...issue.path.map(String)];
    const path = segments.reduce<string>((acc, s) => (/^\d+$/.test(s) ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '');
    return { path, pointer: `/${segments.join('/')}`, message: issue.message };
  });
}

export function validationError(errors: FieldIssue[], detail?: string): AppError {
  const summary = errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ');
  return new AppError('validation_failed', 'Validation failed', detail ?? `The request is not valid: ${summary}`, { errors });
}

/** Maps anything thrown in a handler to a problem response; unknown errors stay opaque. */
export function handleError(err: unknown, c: Context): Response {
  if (err instanceof AppError) return problemResponse(c, err);
  if (err instanceof SyntaxError) {
    return problemResponse(c, new AppError('validation_failed', 'Malformed body', `The request body could not be parsed: ${err.message}`));
  }
  console.error(JSON.stringify({ level: 'error', msg: 'unhandled error', requestId: c.get('requestId' as never), error: String((err as Error)?.stack ?? err) }));
  return problemResponse(c, new AppError('unavailable', 'Internal error', 'Something went wrong on our side. Try again; if it persists, contact support with the request id.'));
}
