import { z } from 'zod';

/** Everything the control plane reads from its environment, validated once at boot. */
export const controlPlaneConfigSchema = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
  /** Signs sessions and encrypts the token-signing keys; at least 32 characters. */
  AUTH_SECRET: z.string().min(32, 'must be at least 32 characters (openssl rand -base64 32)'),
  /** The console's public origin, e.g. https://app.orvanta.example. */
  PUBLIC_URL: z.url().default('http://localhost:3000'),
  /** Connections in the database pool; 1 for an embedded PGlite, which serves a single session. */
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  /**
   * Connections kept apart for the data planes' channel (commands, acks, events), so API traffic
   * cannot starve it; 0 shares the main pool (an embedded PGlite serves a single session).
   */
  GATEWAY_POOL_MAX: z.coerce.number().int().min(0).max(50).default(4),
  /** Largest accepted run input, in bytes (default 10 MiB). */
  MAX_PAYLOAD_BYTES: z.coerce.number().int().positive().default(10 * 1024 * 1024),
  /** Outgoing mail server, e.g. smtps://user:pass@smtp.example.com. Unset: mail goes to the dev outbox (/dev/mail). */
  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').optional(),
  /** Development only: write mail to the DevMail table, shown to anyone at /dev/mail, instead of sending it. */
  MAIL_DEV_OUTBOX: z.stringbool().default(false),
  MAIL_FROM: z.string().default('Orvanta <no-reply@orvanta.localhost>'),
  /** Requests per minute per API key, unless the key sets its own. */
  API_KEY_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(600),
  /** Proxies in front of the console that append to X-Forwarded-For (load balancer, ingress). */
  TRUSTED_PROXY_HOPS: z.coerce.number().int().min(1).max(10).default(1),
  /** Console sessions last this long without signing in again. */
  SESSION_MAX_AGE_HOURS: z.coerce.number().positive().max(24 * 30).default(8),
  /** Directory of the shared-region files (regions/*.yaml). Default: the nearest regions/ above the working directory. */
  REGIONS_DIR: z.string().min(1).optional(),
  /** Which driver provisions dedicated regions (server/regions/provisioners): local (this machine), kubernetes or terraform. */
  DEDICATED_PROVISIONER: z.enum(['local', 'kubernetes', 'terraform']).default('local'),
  /** The one data-plane image (infra/docker/dataplane.Dockerfile): what the kubernetes and terraform drivers deploy and the on-prem install forms run. */
  DATAPLANE_IMAGE: z.string().min(1).default('ghcr.io/orvanta/dataplane:0.1.0'),
  /** A dedicated region whose data plane has not enrolled and reported this long after it started fails. */
  DEDICATED_ENROLL_TIMEOUT_SECONDS: z.coerce.number().int().min(5).max(86_400).default(300),
  /** local driver: admin URL of the Postgres server it creates each region's database on (a real server, not PGlite). */
  LOCAL_PROVISIONER_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  /** local driver: the Redis its data planes use, each under the key prefix `<LOCAL_PROVISIONER_REDIS_PREFIX>-dr-<id>`. */
  LOCAL_PROVISIONER_REDIS_URL: z.string().regex(/^redis:\/\//, 'must be a redis:// URL').optional(),
  LOCAL_PROVISIONER_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]+$/).default('orvanta'),
  /** local driver: directory of each region's process record and log (default .orvanta/dedicated under the repository). */
  LOCAL_PROVISIONER_DIR: z.string().min(1).optional(),
  /** local driver: the address its data planes listen on and are reached at. */
  LOCAL_PROVISIONER_HOST: z.string().min(1).default('127.0.0.1'),
});
export type ControlPlaneConfig = z.infer<typeof controlPlaneConfigSchema>;

/** Parses the environment, or throws one line naming each missing or bad variable. */
export function parseControlPlaneConfig(env: Record<string, string | undefined>): ControlPlaneConfig {
  const result = controlPlaneConfigSchema.safeParse({
    ...env,
    AUTH_SECRET: env.AUTH_SECRET ?? env.NEXTAUTH_SECRET,
    PUBLIC_URL: env.PUBLIC_URL ?? env.NEXTAUTH_URL,
  });
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  throw new Error(`Invalid control-plane configuration: ${problems}`);
}
