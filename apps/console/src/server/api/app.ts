import { OpenAPIHono } from '@hono/zod-openapi';
import { workflowJsonSchema } from '@orvanta/spec';
import { bodyLimit } from 'hono/body-limit';
import { authenticate } from '../auth/authenticate.ts';
import { AppError } from '../errors.ts';
import { newId } from '@orvanta/protocol';
import type { ApiEnv, ServerDeps } from './context.ts';
import { handleError, problemResponse, validationError, zodIssues } from './problem.ts';
import { hitRateLimit } from '../lib/rate-limit.ts';
import { requestMeta } from '../auth/actor.ts';
import { registerApiKeyRoutes } from './routes/api-keys.ts';
import { registerApplicationRoutes } from './routes/applications.ts';
import { registerAuditRoutes } from './routes/audit.ts';
import { registerDedicatedRegionRoutes } from './routes/dedicated-regions.ts';
import { registerDeploymentRoutes } from './routes/deployments.ts';
import { registerMeRoutes } from './routes/me.ts';
import { registerMemberRoutes } from './routes/members.ts';
import { registerRunRoutes } from './routes/runs.ts';
import { registerSecretRoutes } from './routes/secrets.ts';
import { registerRegionRoutes } from './routes/regions.ts';
import { registerSsoRoutes } from './routes/sso.ts';
import { registerTrashRoutes } from './routes/trash.ts';
import { registerWorkflowRoutes } from './routes/workflows.ts';

export const API_BASE_PATH = '/api/v1';
/** Routes anyone may read. Everything else requires a caller: new routes are closed by default. */
const PUBLIC_PATHS = new Set([`${API_BASE_PATH}/openapi.json`, `${API_BASE_PATH}/schema/workflow.json`]);

export function createApiApp(deps: ServerDeps) {
  const app = new OpenAPIHono<ApiEnv>({
    defaultHook: (result, c) => {
      if (!result.success) return problemResponse(c, validationError(zodIssues(result.error, result.target === 'json' ? undefined : result.target)));
    },
  }).basePath(API_BASE_PATH);

  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'A tenant API key (`orv_…`), sent as `Authorization: Bearer <key>`.',
  });

  app.onError(handleError);
  app.notFound((c) => problemResponse(c, new AppError('not_found', 'Not found', `There is no ${c.req.method} ${new URL(c.req.url).pathname} route. See ${API_BASE_PATH}/openapi.json.`)));

  app.use('*', async (c, next) => {
    const requestId = c.req.header('x-request-id')?.slice(0, 100) || newId('req');
    c.set('requestId', requestId);
    c.header('x-request-id', requestId);
    await next();
  });
  app.use(
    '*',
    bodyLimit({
      maxSize: deps.config.MAX_PAYLOAD_BYTES + 64 * 1024,
      onError: (c) => problemResponse(c, new AppError('payload_too_large', 'Request too large', `The request body is larger than the ${deps.config.MAX_PAYLOAD_BYTES}-byte limit.`)),
    }),
  );
  app.use('*', async (c, next) => {
    if (PUBLIC_PATHS.has(new URL(c.req.url).pathname)) return next();
    const actor = await authenticate(deps.db, c.req.raw, deps.config.AUTH_SECRET);
    if (actor.type === 'user' && !['GET', 'HEAD', 'OPTIONS'].includes(c.req.method)) {
      // Cookie-authenticated writes must come from the console itself (CSRF).
      const origin = c.req.header('origin');
      if (origin && origin !== new URL(deps.config.PUBLIC_URL).origin) {
        throw new AppError('forbidden', 'Cross-site request refused', 'Requests signed in with a console session must come from the console.');
      }
    }
    if (actor.type === 'api_key') {
      // Per-key rate limit, shared by every control-plane replica.
      const limit = actor.rateLimitPerMinute ?? deps.config.API_KEY_RATE_LIMIT_PER_MINUTE;
      const result = await hitRateLimit(deps.db, `api_key:${actor.id}`, limit, 60);
      c.header('RateLimit-Limit', String(result.limit));
      c.header('RateLimit-Remaining', String(result.remaining));
      c.header('RateLimit-Reset', String(result.resetSeconds));
      if (!result.allowed) {
        throw new AppError('rate_limited', 'Rate limit exceeded', `This API key may make ${limit} requests a minute. Retry in ${result.resetSeconds} seconds.`, { retryAfter: result.resetSeconds });
      }
    }
    c.set('call', { actor, meta: { ...requestMeta(c.req.raw.headers, deps.config.TRUSTED_PROXY_HOPS), requestId: c.get('requestId') } });
    await next();
  });

  registerMeRoutes(app, deps);
  registerWorkflowRoutes(app, deps);
  registerRunRoutes(app, deps);
  registerDeploymentRoutes(app, deps);
  registerMemberRoutes(app, deps);
  registerApiKeyRoutes(app, deps);
  registerAuditRoutes(app, deps);
  registerSecretRoutes(app, deps);
  registerApplicationRoutes(app, deps);
  registerSsoRoutes(app, deps);
  registerTrashRoutes(app, deps);
  registerRegionRoutes(app, deps);
  registerDedicatedRegionRoutes(app, deps);

  app.get('/schema/workflow.json', (c) => c.json(workflowJsonSchema()));
  app.get('/openapi.json', (c) => c.json(openApiDocument(app)));
  return app;
}

export function openApiDocument(app: OpenAPIHono<ApiEnv>) {
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: { title: 'Orvanta API', version: '1.0.0', description: 'Workflows, runs and tenant administration. Errors are RFC 9457 problem+json.' },
  });
}
