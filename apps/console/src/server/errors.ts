/**
 * The one domain error. Services throw it with a stable code; the HTTP edge maps the code
 * to a status and an RFC 9457 problem body. Domain code never builds HTTP responses.
 */
export const errorCodes = {
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  validation_failed: 422,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 503,
} as const;
export type ErrorCode = keyof typeof errorCodes;

export interface FieldIssue {
  /** Field path such as `nodes[1].code`. */
  path: string;
  /** JSON Pointer to the same field. */
  pointer?: string;
  message: string;
  line?: number;
  column?: number;
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly title: string,
    readonly detail: string,
    readonly extra: { errors?: FieldIssue[]; [key: string]: unknown } = {},
  ) {
    super(detail);
    this.name = 'AppError';
  }
  get status(): number {
    return errorCodes[this.code];
  }
}

export const notFound = (what: string, id: string) =>
  new AppError('not_found', 'Not found', `${what} ${JSON.stringify(id)} does not exist or is not visible to you.`);
