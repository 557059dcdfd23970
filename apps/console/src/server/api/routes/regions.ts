import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { authorize } from '../../auth/authorize.ts';
import type { DataPlane } from '../../db/generated/client.ts';
import { ONPREM, type RegionCatalogue } from '../../regions/catalogue.ts';
import { connectionOf, getRegionPolicy, listDataPlanes, putRegionPolicy } from '../../regions/service.ts';
import type { ApiEnv, ServerDeps } from '../context.ts';
import { problem, problems, secured } from './common.ts';

const regionSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    jurisdiction: z.string(),
    endpoint: z.string(),
    capacity: z.object({ tenants: z.number().int(), workers: z.number().int() }),
  })
  .openapi('Region', { description: 'A shared region, as declared in regions/.' });

export const dataPlaneSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(['shared', 'dedicated', 'onprem']),
    region: z.string(),
    jurisdiction: z.string().nullable().openapi({ description: "The region's jurisdiction; null for on-prem and regions not in the catalogue." }),
    status: z.enum(['pending', 'active', 'revoked']),
    connection: z.enum(['pending', 'connected', 'disconnected', 'revoked']).openapi({ description: '`pending` until it enrolls; `disconnected` when it has not called in for 45 s.' }),
    version: z.string().nullable(),
    lastHeartbeatAt: z.string().nullable(),
    queueDepth: z.number().int().nullable(),
    publicUrl: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('DataPlane');

const policySchema = z
  .object({
    homeRegion: z.string().nullable(),
    allowedRegions: z.array(z.string()).openapi({ description: `Region ids (and "${ONPREM}" for the tenant's own on-prem data planes); empty = anywhere.` }),
    homeDataPlaneId: z.string().nullable(),
  })
  .openapi('RegionPolicy');

export function presentDataPlane(regions: RegionCatalogue, d: DataPlane) {
  return {
    id: d.id,
    name: d.name,
    kind: d.kind as 'shared' | 'dedicated' | 'onprem',
    region: d.region,
    jurisdiction: d.kind === 'onprem' ? null : (regions.get(d.region)?.jurisdiction ?? null),
    status: d.status as 'pending' | 'active' | 'revoked',
    connection: connectionOf(d),
    version: d.version,
    lastHeartbeatAt: d.lastSeenAt?.toISOString() ?? null,
    queueDepth: d.queueDepth,
    publicUrl: d.publicUrl,
    createdAt: d.createdAt.toISOString(),
  };
}

export function registerRegionRoutes(app: OpenAPIHono<ApiEnv>, deps: ServerDeps) {
  const { db, regions } = deps;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/regions',
      summary: 'The shared regions',
      tags: ['Regions'],
      ...secured('data_planes.read'),
      responses: { 200: { description: 'Regions', content: { 'application/json': { schema: z.object({ data: z.array(regionSchema) }) } } }, ...problems },
    }),
    async (c) => {
      authorize(c.get('call').actor, 'data_planes.read');
      return c.json({ data: regions.regions.map((r) => ({ ...r })) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/data-planes',
      summary: 'The data planes this tenant can use: shared ones, and its own dedicated and on-prem ones',
      tags: ['Regions'],
      ...secured('data_planes.read'),
      responses: { 200: { description: 'Data planes', content: { 'application/json': { schema: z.object({ data: z.array(dataPlaneSchema) }) } } }, ...problems },
    }),
    async (c) => c.json({ data: (await listDataPlanes(db, c.get('call'))).map((d) => presentDataPlane(regions, d)) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/region-policy',
      summary: "The tenant's home region and allowed regions",
      tags: ['Regions'],
      ...secured('settings.read'),
      responses: { 200: { description: 'The policy', content: { 'application/json': { schema: policySchema } } }, ...problems },
    }),
    async (c) => c.json(await getRegionPolicy(db, c.get('call')), 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/region-policy',
      summary: 'Set the home region and the regions work may run in',
      description:
        'New runs without a pinned deployment go to the home region. Deploys and runs on data planes outside `allowedRegions` are refused with 422; the answer lists live deployments the policy no longer allows.',
      tags: ['Regions'],
      ...secured('settings.write'),
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.object({ homeRegion: z.string().min(1).max(64), allowedRegions: z.array(z.string().min(1).max(64)).max(100).default([]) }).strict().openapi('RegionPolicyRequest'),
            },
          },
        },
      },
      responses: {
        200: {
          description: 'Saved',
          content: {
            'application/json': {
              schema: policySchema.extend({ conflicts: z.array(z.object({ workflowId: z.string(), environment: z.string(), dataPlaneId: z.string(), place: z.string() })) }).openapi('RegionPolicyResult'),
            },
          },
        },
        ...problems,
        422: problem('Unknown region, home region not allowed or not served'),
      },
    }),
    async (c) => c.json(await putRegionPolicy(db, c.get('call'), { regions, authSecret: deps.config.AUTH_SECRET }, c.req.valid('json')), 200),
  );
}
