import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { newId } from '@orvanta/protocol';
import { requestMeta } from '../auth/actor.ts';
import { authenticateSessionCookie } from '../auth/authenticate.ts';
import type { ServerDeps } from '../api/context.ts';
import { handleError, problemResponse, validationError, zodIssues } from '../api/problem.ts';
import { AppError } from '../errors.ts';
import { ssoTenantForEmail } from '../sso/service.ts';
import { acceptInvitation, confirmPasswordReset, describeInvitation, requestPasswordReset, signUp, switchTenant } from './service.ts';

export const ACCOUNT_BASE_PATH = '/api/account';

const signupSchema = z.object({
  name: z.string().trim().min(1).max(100),
  email: z.email().max(254),
  password: z.string().max(200),
  organization: z.string().trim().min(2).max(100),
});
const resetSchema = z.object({ email: z.email().max(254) });
const resetConfirmSchema = z.object({ token: z.string().min(10).max(200), password: z.string().max(200) });
const acceptSchema = z.object({ name: z.string().trim().min(1).max(100).optional(), password: z.string().max(200).optional() });
const switchSchema = z.object({ tenantId: z.string().min(1).max(64) });

/**
 * The console's own account endpoints (sign-up, password reset, invitations, tenant
 * switch, SSO routing, dev outbox): public or signed in with the session cookie. Same
 * problem+json errors as /api/v1. Not part of the public API, so not in its OpenAPI.
 */
export function createAccountApp(deps: ServerDeps) {
  const { db, config, mailer } = deps;
  const app = new Hono<{ Variables: { requestId: string } }>().basePath(ACCOUNT_BASE_PATH);
  const mailDeps = { mailer, publicUrl: config.PUBLIC_URL };

  app.onError(handleError);
  app.notFound((c) => problemResponse(c, new AppError('not_found', 'Not found', `There is no ${c.req.method} ${new URL(c.req.url).pathname} route.`)));
  app.use('*', async (c, next) => {
    const requestId = c.req.header('x-request-id')?.slice(0, 100) || newId('req');
    c.set('requestId', requestId);
    c.header('x-request-id', requestId);
    if (!['GET', 'HEAD', 'OPTIONS'].includes(c.req.method)) {
      // These forms are the console's: refuse writes posted from another site (CSRF).
      const origin = c.req.header('origin');
      if (origin && origin !== new URL(config.PUBLIC_URL).origin) {
        throw new AppError('forbidden', 'Cross-site request refused', 'Account requests must come from the console.');
      }
    }
    await next();
  });
  app.use('*', bodyLimit({ maxSize: 64 * 1024, onError: (c) => problemResponse(c, new AppError('payload_too_large', 'Request too large', 'The request body is larger than 64 KiB.')) }));

  const meta = (c: Context) => ({ ...requestMeta(c.req.raw.headers, config.TRUSTED_PROXY_HOPS), requestId: c.get('requestId') as string });
  async function body<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
    const raw = await c.req.json().catch(() => {
      throw new AppError('validation_failed', 'Malformed body', 'Send a JSON body (Content-Type: application/json).');
    });
    const result = schema.safeParse(raw);
    if (!result.success) throw validationError(zodIssues(result.error));
    return result.data;
  }
  const signedIn = async (c: Context) => {
    const actor = await authenticateSessionCookie(db, c.req.header('cookie') ?? null, config.AUTH_SECRET).catch(() => null);
    return actor;
  };

  app.post('/signup', async (c) => {
    const { tenant } = await signUp(db, await body(c, signupSchema), meta(c));
    return c.json({ tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name } }, 201);
  });

  app.post('/password-reset', async (c) => {
    await requestPasswordReset(db, mailDeps, (await body(c, resetSchema)).email, meta(c));
    return c.json({ status: 'If an account exists for that address, a reset link is on its way.' }, 202);
  });

  app.post('/password-reset/confirm', async (c) => {
    const { token, password } = await body(c, resetConfirmSchema);
    await confirmPasswordReset(db, token, password, meta(c));
    return c.body(null, 204);
  });

  app.get('/invitations/:token', async (c) => {
    const invitation = await describeInvitation(db, c.req.param('token'));
    return c.json({ ...invitation, expiresAt: invitation.expiresAt.toISOString() }, 200);
  });

  app.post('/invitations/:token/accept', async (c) => {
    const input = await body(c, acceptSchema);
    const actor = await signedIn(c);
    const result = await acceptInvitation(db, c.req.param('token'), input, actor ? { userId: actor.id, email: actor.email } : null, meta(c));
    if (actor && actor.email === result.email) await switchTenant(db, { sessionId: actor.sessionId, userId: actor.id }, result.tenant.id, meta(c));
    return c.json(result, 200);
  });

  app.post('/switch-tenant', async (c) => {
    const actor = await signedIn(c);
    if (!actor) throw new AppError('unauthenticated', 'Sign in first', 'Sign in to the console to switch tenants.');
    await switchTenant(db, { sessionId: actor.sessionId, userId: actor.id }, (await body(c, switchSchema)).tenantId, meta(c));
    return c.body(null, 204);
  });

  app.get('/sso', async (c) => {
    const email = c.req.query('email') ?? '';
    const sso = email.includes('@') ? await ssoTenantForEmail(db, email) : null;
    return c.json(sso ? { sso: true, providerId: sso.providerId, tenant: { slug: sso.slug, name: sso.name } } : { sso: false }, 200);
  });

  app.get('/dev-mail', async (c) => {
    if (!mailer.outbox) throw new AppError('not_found', 'No dev outbox', 'Mail is sent through SMTP on this installation.');
    const rows = await db.devMail.findMany({ orderBy: { createdAt: 'desc' }, take: 100 });
    return c.json({ data: rows.map((m) => ({ id: m.id, to: m.to, subject: m.subject, text: m.text, html: m.html, createdAt: m.createdAt.toISOString() })) }, 200);
  });

  return app;
}
