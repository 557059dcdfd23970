import type { Problem } from './types';

/** A failed /api/v1 call; `message` is the problem's human `detail`. */
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

/**
 * Calls the console's own API from the browser with the session cookie (same origin).
 * A 401 means the session ended: send the user to sign in again, then back here.
 */
export async function api<T>(path: string, init?: { method?: 'GET' | 'POST'; body?: unknown; signal?: AbortSignal }): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method: init?.method ?? 'GET',
      credentials: 'same-origin',
      cache: 'no-store',
      signal: init?.signal,
      headers: { accept: 'application/json', ...(init?.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: init?.body !== undefined ? JSON.stringify(init.body) : undefined,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'The console could not be reached. Check your connection; it will retry.');
  }
  if (response.status === 401) {
    window.location.assign(`/login?callbackUrl=${encodeURIComponent(window.location.pathname + window.location.search)}`);
  }
  if (!response.ok) throw await problemOf(response);
  return (await response.json()) as T;
}

export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));
