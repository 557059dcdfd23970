import { z } from 'zod';

/** Paths of the data-plane gateway, relative to the control plane's origin. */
export const GATEWAY_BASE_PATH = '/api/dataplane/v1';
export const gatewayPaths = {
  enroll: `${GATEWAY_BASE_PATH}/enroll`,
  commands: `${GATEWAY_BASE_PATH}/commands`,
  ack: `${GATEWAY_BASE_PATH}/commands/ack`,
  events: `${GATEWAY_BASE_PATH}/events`,
  heartbeat: `${GATEWAY_BASE_PATH}/heartbeat`,
  jwks: `${GATEWAY_BASE_PATH}/jwks.json`,
} as const;

/** The longest a command long-poll is held open, in seconds. */
export const MAX_LONG_POLL_SECONDS = 30;

export const enrollRequestSchema = z.object({
  /** The one-time enrollment token an admin (or provisioning) was given. */
  token: z.string().min(1),
  /** Data-plane software version. */
  version: z.string(),
  /** Where browsers reach this data plane's ingress. */
  publicUrl: z.url(),
});
export type EnrollRequest = z.infer<typeof enrollRequestSchema>;

export const jwksSchema = z.object({ keys: z.array(z.record(z.string(), z.unknown())) });
export type Jwks = z.infer<typeof jwksSchema>;

export const enrollResponseSchema = z.object({
  dataPlaneId: z.string(),
  /** The data plane's own long-lived credential; send as `Authorization: Bearer`. */
  credential: z.string(),
  region: z.string(),
  kind: z.enum(['shared', 'dedicated', 'onprem']),
  jwks: jwksSchema,
});
export type EnrollResponse = z.infer<typeof enrollResponseSchema>;

export const heartbeatRequestSchema = z.object({
  version: z.string(),
  publicUrl: z.url().optional(),
  /** Messages waiting or running in this data plane's queues. */
  queueDepth: z.number().int().nonnegative(),
});
export type HeartbeatRequest = z.infer<typeof heartbeatRequestSchema>;

/** Claims of the short-lived token a browser presents to a data plane's ingress. */
export const dataPlaneTokenClaimsSchema = z.object({
  /** `orvanta-control-plane` */
  iss: z.string(),
  /** The data plane's id: a token for one data plane is useless at another. */
  aud: z.string(),
  /** Who asked: `user:<id>` or `api_key:<id>`. */
  sub: z.string(),
  tenant_id: z.string(),
  /** Permissions granted, e.g. `runs.read`. */
  scope: z.string(),
  /** The run this token may read. */
  run_id: z.string(),
  exp: z.number(),
  iat: z.number(),
});
export type DataPlaneTokenClaims = z.infer<typeof dataPlaneTokenClaimsSchema>;
export const TOKEN_ISSUER = 'orvanta-control-plane';
