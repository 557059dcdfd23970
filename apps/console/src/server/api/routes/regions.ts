import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { authorize } from '../../auth/authorize.ts';
import type { DataPlane } from '../../db/generated/client.ts';
import { ONPREM, type RegionCatalogue } from '../../regions/catalogue.ts';
import { createOnPremDataPlane, reissueEnrollmentToken, revokeDataPlane, type InstallContext, type IssuedEnrollment } from '../../regions/onprem.ts';
import { connectionOf, getRegionPolicy, listDataPlanes, putRegionPolicy } from '../../regions/service.ts';
import type { ApiEnv, ServerDeps } from '../context.ts';
import { idParam } from '../schemas.ts';
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
    draining: z.boolean().openapi({ description: 'Being decommissioned: it takes no new deploys or runs while its runs finish.' }),
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

const publicUrlField = z
  .url({ protocol: /^https?$/ })
  .max(500)
  .optional()
  .openapi({ description: "Where browsers and webhook senders will reach the data plane's ingress (default http://localhost:3100); the instructions make it listen on its port." });

const installSchema = z
  .object({
    compose: z.string().openapi({ description: 'A complete docker compose file: the data-plane image with its own Postgres and Redis.' }),
    helm: z.string().openapi({ description: 'The helm command installing the chart infra/helm/orvanta-dataplane with the same image.' }),
    node: z.string().openapi({ description: 'A shell command for a single host with Node.js: runs the same program from a checkout, with its Postgres and Redis taken from DATABASE_URL and REDIS_URL in the environment.' }),
  })
  .openapi('DataPlaneInstall');

const enrollmentSchema = z
  .object({
    dataPlane: dataPlaneSchema,
    enrollmentToken: z.string().openapi({ description: 'One-time token: shown in this answer only, never again. The data plane exchanges it for its own credential on first start.' }),
    expiresAt: z.string().openapi({ description: 'The token stops working after this time (24 hours) or once used.' }),
    install: installSchema,
  })
  .openapi('DataPlaneEnrollment');

export function presentDataPlane(regions: RegionCatalogue, d: DataPlane) {
  return {
    id: d.id,
    name: d.name,
    kind: d.kind as 'shared' | 'dedicated' | 'onprem',
    region: d.region,
    jurisdiction: d.kind === 'onprem' ? null : (regions.get(d.region)?.jurisdiction ?? null),
    status: d.status as 'pending' | 'active' | 'revoked',
    draining: d.drainingAt !== null,
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

  const install: InstallContext = { controlPlaneUrl: deps.config.PUBLIC_URL, image: deps.config.DATAPLANE_IMAGE };
  const presentEnrollment = (e: IssuedEnrollment) => ({
    dataPlane: presentDataPlane(regions, e.dataPlane),
    enrollmentToken: e.enrollmentToken,
    expiresAt: e.expiresAt.toISOString(),
    install: e.install,
  });
  // The answers carry a one-time secret: no cache may keep them.
  const noStore = { 'cache-control': 'no-store' };

  app.openapi(
    createRoute({
      method: 'post',
      path: '/data-planes',
      summary: 'Create an on-prem data plane',
      description:
        'Registers a data plane of this tenant that runs in its own network and connects out to the control plane (no inbound port). The answer holds the one-time enrollment token and install instructions (docker compose, helm, or a single-host shell command), all running the same data-plane image; the token is shown in this answer only.',
      tags: ['Regions'],
      ...secured('data_planes.write'),
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.object({ kind: z.literal('onprem'), name: z.string().trim().min(1).max(100), publicUrl: publicUrlField }).strict().openapi('OnPremDataPlaneRequest'),
            },
          },
        },
      },
      responses: {
        201: { description: 'Created; waiting for enrollment', content: { 'application/json': { schema: enrollmentSchema } } },
        ...problems,
        409: problem('An on-prem data plane of this tenant already has that name'),
        422: problem('Invalid body'),
      },
    }),
    async (c) => {
      const { name, publicUrl } = c.req.valid('json');
      const created = await createOnPremDataPlane(db, c.get('call'), install, { name, publicUrl });
      return c.json(presentEnrollment(created), 201, { ...noStore, location: `/api/v1/data-planes/${created.dataPlane.id}` });
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/data-planes/{id}/enrollment-token',
      summary: 'Issue a new enrollment token for an on-prem data plane',
      description:
        "A fresh one-time token and install instructions, to install the data plane again or because the first token expired. The earlier token stops working at once; an enrolled data plane keeps its credential until it enrolls with the new token.",
      tags: ['Regions'],
      ...secured('data_planes.write'),
      request: { params: idParam, body: { required: false, content: { 'application/json': { schema: z.object({ publicUrl: publicUrlField }).strict().openapi('EnrollmentTokenRequest') } } } },
      responses: {
        201: { description: 'Issued', content: { 'application/json': { schema: enrollmentSchema } } },
        ...problems,
        409: problem('The data plane is revoked, or is not an on-prem one'),
        422: problem('Invalid body'),
      },
    }),
    async (c) => {
      const body = c.req.header('content-type') ? c.req.valid('json') : {};
      const issued = await reissueEnrollmentToken(db, c.get('call'), install, c.req.valid('param').id, body);
      return c.json(presentEnrollment(issued), 201, noStore);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/data-planes/{id}/revoke',
      summary: "Revoke an on-prem data plane's credentials",
      description:
        'The data plane is refused at once: its next call to the control plane gets 401, a command long-poll it holds ends, and commands it has not acknowledged are never delivered (the customer data they carried is erased). Its unused enrollment token stops working too. A revoked data plane cannot enroll again; create a new one. Revoking twice changes nothing.',
      tags: ['Regions'],
      ...secured('data_planes.write'),
      request: { params: idParam },
      responses: {
        200: { description: 'Revoked', content: { 'application/json': { schema: dataPlaneSchema.extend({ undeliveredCommands: z.number().int().openapi({ description: 'Commands it will now never receive.' }) }).openapi('RevokedDataPlane') } } },
        ...problems,
        409: problem('Not an on-prem data plane'),
      },
    }),
    async (c) => {
      const { dataPlane, undelivered } = await revokeDataPlane(db, c.get('call'), c.req.valid('param').id);
      return c.json({ ...presentDataPlane(regions, dataPlane), undeliveredCommands: undelivered }, 200);
    },
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
