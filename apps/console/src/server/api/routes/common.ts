import type { Permission } from '../../auth/permissions.ts';
import { problemSchema } from '../schemas.ts';

export const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: problemSchema } } });

/** The answers every authenticated route can give. */
export const problems = {
  401: problem('Missing or invalid credentials'),
  403: problem('Missing permission (the problem names it)'),
  404: problem('Not found, or belongs to another tenant'),
  429: problem('Rate limit exceeded; retry after `Retry-After` seconds'),
};

/** Any signed-in caller may use the route; it acts on the caller's own things. */
export const SIGNED_IN = 'signed_in';
/** Only a signed-in person (not an API key) may use the route: their own sessions. */
export const PERSON = 'person';

/**
 * Security and the permission a route needs, as they appear in the OpenAPI document
 * (`x-permission`). The isolation suite reads them, with the role matrix, to check what
 * every role and key gets from every route; a route without one fails it.
 */
export const secured = (permission: Permission | typeof SIGNED_IN | typeof PERSON) => ({
  security: [{ apiKey: [] }],
  'x-permission': permission,
});
