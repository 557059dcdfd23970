import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import {
  ackRequestSchema,
  enrollRequestSchema,
  eventEnvelopeSchema,
  splitKnown,
  GATEWAY_BASE_PATH,
  heartbeatRequestSchema,
  MAX_LONG_POLL_SECONDS,
  type EnrollResponse,
} from '@orvanta/protocol';
import { z } from 'zod';
import type { ServerDeps } from '../api/context.ts';
import { handleError, problemResponse, validationError, zodIssues } from '../api/problem.ts';
import { AppError } from '../errors.ts';
import type { DataPlane } from '../db/generated/client.ts';
import { ackCommands, applyEvents, assertStillActive, authenticateDataPlane, enrollDataPlane, pullCommands, recordHeartbeat, untilRevoked } from './service.ts';

type GatewayEnv = { Variables: { dataPlane: DataPlane } };

async function parse<T extends z.ZodType>(request: Request, schema: T): Promise<z.infer<T>> {
  const body = await request.json().catch(() => {
    throw new AppError('validation_failed', 'Malformed body', 'The request body must be JSON.');
  });
  const result = schema.safeParse(body);
  if (!result.success) throw validationError(zodIssues(result.error));
  return result.data;
}

/**
 * The data-plane gateway (`/api/dataplane/v1`): the only door data planes use. They
 * always connect out to it; the control plane never connects to a data plane.
 */
export function createGatewayApp(deps: ServerDeps) {
  const { channelDb: db, signer } = deps;
  const app = new Hono<GatewayEnv>().basePath(GATEWAY_BASE_PATH);
  app.onError(handleError);
  app.notFound((c) => problemResponse(c, new AppError('not_found', 'Not found', 'No such data-plane gateway route.')));
  app.use('*', bodyLimit({ maxSize: 32 * 1024 * 1024 }));

  // Public: the keys data planes verify browser tokens with.
  app.get('/jwks.json', async (c) => c.json(await signer.jwks(), 200, { 'cache-control': 'public, max-age=300' }));

  app.post('/enroll', async (c) => {
    const request = await parse(c.req.raw, enrollRequestSchema);
    const { dataPlane, credential } = await enrollDataPlane(db, request);
    const response: EnrollResponse = {
      dataPlaneId: dataPlane.id,
      credential,
      region: dataPlane.region,
      kind: dataPlane.kind as EnrollResponse['kind'],
      jwks: await signer.jwks(),
    };
    return c.json(response, 201);
  });

  app.use('*', async (c, next) => {
    c.set('dataPlane', await authenticateDataPlane(db, c.req.raw));
    await next();
  });

  app.get('/commands', async (c) => {
    const wait = Math.min(Math.max(Number(c.req.query('wait') ?? 0) || 0, 0), MAX_LONG_POLL_SECONDS);
    const limit = Math.min(Math.max(Number(c.req.query('limit') ?? 100) || 100, 1), 500);
    const dataPlane = c.get('dataPlane');
    // A revocation ends the long-poll at once, and nothing is delivered after it.
    const held = untilRevoked(dataPlane.id, c.req.raw.signal);
    const commands = await pullCommands(db, dataPlane, { waitMs: wait * 1000, limit, signal: held.signal }).finally(held.dispose);
    await assertStillActive(db, dataPlane.id);
    return c.json({ commands });
  });

  app.post('/commands/ack', async (c) => {
    const { ids } = await parse(c.req.raw, ackRequestSchema);
    return c.json({ acknowledged: await ackCommands(db, c.get('dataPlane'), ids) });
  });

  app.post('/events', async (c) => {
    const batch = await parse(c.req.raw, z.object({ events: z.array(z.unknown()).max(1000) }));
    const { known, unknown } = splitKnown(batch.events, eventEnvelopeSchema);
    const dataPlane = c.get('dataPlane');
    // Events this version cannot read (from a newer data plane) are reported and counted as
    // applied, so they never hold back the events behind them.
    for (const skipped of unknown) console.warn(JSON.stringify({ level: 'warn', msg: 'skipped a data-plane event this control plane does not understand', dataPlaneId: dataPlane.id, eventId: skipped.id, type: skipped.type, problem: skipped.problem }));
    const applied = await applyEvents(db, dataPlane, known);
    return c.json({ applied: [...applied, ...unknown.map((e) => e.id).filter((id) => id !== '?')] });
  });

  app.post('/heartbeat', async (c) => {
    await recordHeartbeat(db, c.get('dataPlane'), await parse(c.req.raw, heartbeatRequestSchema));
    return c.json({ ok: true, jwks: await signer.jwks() });
  });

  return app;
}
