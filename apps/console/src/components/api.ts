import type { Problem } from './types';

/** A failed /api/v1 or /api/account call; `message` is the problem's human `detail`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly problem?: Problem,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

async function problemOf(response: Response): Promise<ApiError> {
  const body = (await response.json().catch(() => null)) as Partial<Problem> | null;
  const detail = typeof body?.detail === 'string' ? body.detail : `The server answered ${response.status} ${response.statusText}.`;
  return new ApiError(response.status, detail, body?.type ? (body as Problem) : undefined);
}

export interface ApiInit {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
  /** Extra request headers (e.g. `Idempotency-Key`); they cannot replace `accept` or `content-type`. */
  headers?: Record<string, string>;
  /**
   * By default a 401 means the session ended: the browser goes to sign in, then back here.
   * Public pages (sign-up, invitations…) pass `false` and handle the 401 themselves.
   */
  redirectOn401?: boolean;
}

/**
 * Calls the console's own API (`/api/v1`, `/api/account`) from the browser with the session
 * cookie (same origin). Errors are problem+json and throw an `ApiError`; a `204` (or any answer
 * without a body) resolves to `undefined`.
 */
export async function api<T>(path: string, init: ApiInit = {}): Promise<T> {
  const { method = 'GET', body, signal, headers, redirectOn401 = true } = init;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      cache: 'no-store',
      signal,
      headers: { ...headers, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'The console could not be reached. Check your connection and try again.');
  }
  if (response.status === 401 && redirectOn401) {
    window.location.assign(`/login?callbackUrl=${encodeURIComponent(window.location.pathname + window.location.search)}`);
  }
  if (!response.ok) throw await problemOf(response);
  if (response.status === 204 || response.status === 205) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The field problems of a validation error (`errors[]`), as "path: message" lines. */
export function fieldErrors(err: unknown): string[] {
  if (!(err instanceof ApiError)) return [];
  return (err.problem?.errors ?? []).map((e) => (e.path ? `${e.path}: ${e.message}` : e.message));
}
