import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { deleteSso, getSso, putSso, ssoProviderId } from '../../sso/service.ts';
import type { ApiEnv, ServerDeps } from '../context.ts';
import { ssoBodySchema, ssoSchema } from '../identity-schemas.ts';
import { problem, problems, secured } from './common.ts';

export function registerSsoRoutes(app: OpenAPIHono<ApiEnv>, deps: ServerDeps) {
  const { db, config } = deps;
  const present = (sso: Awaited<ReturnType<typeof getSso>>) => ({
    enabled: sso.enabled,
    issuer: sso.issuer,
    clientId: sso.clientId,
    hasClientSecret: Boolean(sso.clientSecretEnc),
    domains: sso.domains.map((d) => d.domain).sort(),
    defaultRole: sso.defaultRole,
    providerId: ssoProviderId(sso.tenant.slug),
    redirectUri: new URL(`/api/auth/callback/${ssoProviderId(sso.tenant.slug)}`, config.PUBLIC_URL).toString(),
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/sso',
      summary: "The tenant's single sign-on (OpenID Connect) settings",
      tags: ['Single sign-on'],
      ...secured('settings.read'),
      responses: { 200: { description: 'Settings (the client secret is never returned)', content: { 'application/json': { schema: ssoSchema } } }, ...problems },
    }),
    async (c) => c.json(present(await getSso(db, c.get('call'))), 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/sso',
      summary: 'Set up or change single sign-on',
      description: "The issuer's discovery document is fetched to check it. People from the listed domains are routed to it; first-timers join with the default role.",
      tags: ['Single sign-on'],
      ...secured('settings.write'),
      request: { body: { required: true, content: { 'application/json': { schema: ssoBodySchema } } } },
      responses: { 200: { description: 'Saved', content: { 'application/json': { schema: ssoSchema } } }, ...problems, 409: problem('A domain is routed to another tenant'), 422: problem('Invalid settings or unreachable issuer') },
    }),
    async (c) => c.json(present(await putSso(db, c.get('call'), c.req.valid('json'), config.AUTH_SECRET)), 200),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/sso',
      summary: 'Turn single sign-on off and forget its settings',
      tags: ['Single sign-on'],
      ...secured('settings.write'),
      responses: { 204: { description: 'Removed' }, ...problems },
    }),
    async (c) => {
      await deleteSso(db, c.get('call'));
      return c.body(null, 204);
    },
  );
}
