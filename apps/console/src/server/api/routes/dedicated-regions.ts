import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { DataPlane, DedicatedRegion } from '../../db/generated/client.ts';
import {
  cancelDedicatedRegion,
  DEDICATED_SIZES,
  DEDICATED_STATES,
  decommissionDedicatedRegion,
  getDedicatedRegion,
  listDedicatedRegions,
  provisionerStatus,
  requestDedicatedRegion,
  retryDedicatedRegion,
  type Step,
} from '../../regions/dedicated.ts';
import type { RegionCatalogue } from '../../regions/catalogue.ts';
import type { ApiEnv, ServerDeps } from '../context.ts';
import { idParam } from '../schemas.ts';
import { problem, problems, secured } from './common.ts';
import { dataPlaneSchema, presentDataPlane } from './regions.ts';

const stepSchema = z.object({ step: z.string(), at: z.string(), detail: z.string().optional() }).openapi('DedicatedRegionStep');

const dedicatedRegionSchema = z
  .object({
    id: z.string(),
    location: z.string().openapi({ description: 'The region (GET /api/v1/regions) its data plane serves.' }),
    size: z.enum(DEDICATED_SIZES),
    driver: z.enum(['local', 'kubernetes', 'terraform']),
    state: z.enum(DEDICATED_STATES).openapi({ description: 'requested → provisioning → enrolling → ready; failed (see `error`; retry), cancelled; draining → decommissioned.' }),
    steps: z.array(stepSchema).openapi({ description: 'What has been done so far, oldest first.' }),
    error: z.string().nullable(),
    dataPlaneId: z.string().nullable(),
    dataPlane: dataPlaneSchema.nullable(),
    resources: z.record(z.string(), z.string()).openapi({ description: "The driver's handles to what it created (no secrets)." }),
    requestedBy: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('DedicatedRegion', { description: 'A data plane for this organization alone, provisioned on request.' });

const present = (regions: RegionCatalogue, r: DedicatedRegion, plane: DataPlane | null) => ({
  id: r.id,
  location: r.location,
  size: r.size as (typeof DEDICATED_SIZES)[number],
  driver: r.driver as 'local' | 'kubernetes' | 'terraform',
  state: r.state as (typeof DEDICATED_STATES)[number],
  steps: r.steps as unknown as Step[],
  error: r.error,
  dataPlaneId: r.dataPlaneId,
  dataPlane: plane ? presentDataPlane(regions, plane) : null,
  resources: r.resources as Record<string, string>,
  requestedBy: r.requestedBy,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

const accepted = { 202: { description: 'Accepted: the state machine takes it from here; follow it with GET', content: { 'application/json': { schema: dedicatedRegionSchema } } } };

export function registerDedicatedRegionRoutes(app: OpenAPIHono<ApiEnv>, deps: ServerDeps) {
  const { db, regions, config } = deps;
  const planeOf = async (r: DedicatedRegion) => (r.dataPlaneId ? db.dataPlane.findUnique({ where: { id: r.dataPlaneId } }) : null);
  const one = async (r: DedicatedRegion) => present(regions, r, await planeOf(r));

  app.openapi(
    createRoute({
      method: 'post',
      path: '/dedicated-regions',
      summary: 'Request a dedicated region',
      description:
        'Provisions a data plane for this organization alone in `location` (a region id), with the configured driver. Answers 202 at once; `GET /dedicated-regions/{id}` shows each step. Needs the enterprise plan (403 otherwise) and a location the region policy allows (422).',
      tags: ['Regions'],
      ...secured('data_planes.write'),
      request: {
        body: {
          required: true,
          content: { 'application/json': { schema: z.object({ location: z.string().min(1).max(64), size: z.enum(DEDICATED_SIZES).default('small') }).strict().openapi('DedicatedRegionRequest') } },
        },
      },
      responses: { ...accepted, ...problems, 422: problem('Unknown location, or outside the region policy') },
    }),
    async (c) => c.json(await one(await requestDedicatedRegion(db, c.get('call'), { regions, config }, c.req.valid('json'))), 202),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/dedicated-regions',
      summary: "This organization's dedicated regions, newest first",
      tags: ['Regions'],
      ...secured('data_planes.read'),
      responses: {
        200: {
          description: 'Dedicated regions, and whether new ones can be provisioned here',
          content: {
            'application/json': {
              schema: z.object({
                data: z.array(dedicatedRegionSchema),
                provisioner: z
                  .object({ driver: z.enum(['local', 'kubernetes', 'terraform']), available: z.boolean(), detail: z.string().nullable() })
                  .openapi({ description: 'The driver new requests use; `available: false` with the reason when it is not configured.' }),
              }),
            },
          },
        },
        ...problems,
      },
    }),
    async (c) => {
      const rows = await listDedicatedRegions(db, c.get('call'));
      const ids = rows.flatMap((r) => (r.dataPlaneId ? [r.dataPlaneId] : []));
      const planes = new Map((await db.dataPlane.findMany({ where: { id: { in: ids } } })).map((p) => [p.id, p]));
      return c.json({ data: rows.map((r) => present(regions, r, (r.dataPlaneId && planes.get(r.dataPlaneId)) || null)), provisioner: provisionerStatus(config) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/dedicated-regions/{id}',
      summary: 'A dedicated region and its progress',
      tags: ['Regions'],
      ...secured('data_planes.read'),
      request: { params: idParam },
      responses: { 200: { description: 'The dedicated region', content: { 'application/json': { schema: dedicatedRegionSchema } } }, ...problems },
    }),
    async (c) => c.json(await one(await getDedicatedRegion(db, c.get('call'), c.req.valid('param').id)), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/dedicated-regions/{id}/retry',
      summary: 'Retry a failed dedicated region from the step it failed in',
      tags: ['Regions'],
      ...secured('data_planes.write'),
      request: { params: idParam },
      responses: { ...accepted, ...problems, 409: problem('Not failed') },
    }),
    async (c) => c.json(await one(await retryDedicatedRegion(db, c.get('call'), c.req.valid('param').id)), 202),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/dedicated-regions/{id}/cancel',
      summary: 'Cancel a dedicated region still being set up; what was created is removed',
      tags: ['Regions'],
      ...secured('data_planes.write'),
      request: { params: idParam },
      responses: { ...accepted, ...problems, 409: problem('Not being set up (ready ones are decommissioned with DELETE)') },
    }),
    async (c) => c.json(await one(await cancelDedicatedRegion(db, c.get('call'), c.req.valid('param').id, deps.config.AUTH_SECRET)), 202),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/dedicated-regions/{id}',
      summary: 'Decommission a dedicated region',
      description: 'Its data plane stops taking new deploys and runs at once (draining); once its runs have finished, the driver removes it and its credential is revoked.',
      tags: ['Regions'],
      ...secured('data_planes.write'),
      request: { params: idParam },
      responses: { ...accepted, ...problems, 409: problem('Still being set up (cancel it), or already decommissioned') },
    }),
    async (c) => c.json(await one(await decommissionDedicatedRegion(db, c.get('call'), c.req.valid('param').id)), 202),
  );
}
