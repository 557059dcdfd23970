import { randomBytes } from 'node:crypto';

/**
 * Install instructions for an on-prem data plane, in the three forms the console offers.
 * All three run the same program (services/dataplane, image infra/docker/dataplane.Dockerfile)
 * with the same role (`all`); only how its configuration is supplied differs.
 */
export interface InstallParams {
  controlPlaneUrl: string;
  /** The one-time token: it appears in the returned text, so show it once and never log it. */
  enrollmentToken: string;
  dataPlaneId: string;
  /** The data-plane image, e.g. ghcr.io/orvanta/dataplane:0.1.0. */
  image: string;
  /** Where browsers reach the ingress; default http://localhost:3100. */
  publicUrl?: string;
  /** Secret material for the compose file (tests fix it). */
  random?: (bytes: number) => string;
}

export interface InstallInstructions {
  /** A complete docker compose file (infra/compose/onprem.yaml with every value filled in). */
  compose: string;
  /** The helm install command for infra/helm/orvanta-dataplane, with bundled Postgres and Redis. */
  helm: string;
  /** A shell command that installs and runs the data plane with node from a checkout of the repository. */
  node: string;
}

/**
 * The text of infra/compose/onprem.yaml (a test keeps the two identical). Its `${VAR…}`
 * references are what a `.env` file fills; installInstructions fills them itself.
 */
export const ONPREM_COMPOSE_TEMPLATE = `# Orvanta on-prem data plane on one host: the data-plane image (infra/docker/dataplane.Dockerfile)
# with its own Postgres and Redis. Values come from a .env file beside this file (see
# onprem.env.example): CONTROL_PLANE_URL, ENROLLMENT_TOKEN, PUBLIC_URL, POSTGRES_PASSWORD,
# SECRETS_KEY. Start it with:  docker compose -f onprem.yaml up -d
# The agent dials out to the control plane; the only inbound port is the ingress.
name: orvanta-dataplane
services:
  dataplane:
    image: "\${ORVANTA_IMAGE:-ghcr.io/orvanta/dataplane:0.1.0}"
    command: ["all"]
    restart: unless-stopped
    environment:
      CONTROL_PLANE_URL: "\${CONTROL_PLANE_URL:?set CONTROL_PLANE_URL in .env}"
      ENROLLMENT_TOKEN: "\${ENROLLMENT_TOKEN:-}"
      PUBLIC_URL: "\${PUBLIC_URL:-http://localhost:3100}"
      DATABASE_URL: "postgresql://orvanta:\${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}@postgres:5432/orvanta"
      REDIS_URL: "redis://redis:6379/0"
      REDIS_PREFIX: "orvanta"
      SECRETS_KEY: "\${SECRETS_KEY:?set SECRETS_KEY (32+ characters) in .env}"
      PORT: "3100"
    ports:
      - "\${INGRESS_PORT:-3100}:3100"
    depends_on:
      postgres:
        condition: service_healthy
      redis:
        condition: service_healthy
    healthcheck:
      test: ["CMD", "node", "-e", "fetch('http://127.0.0.1:3100/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
      interval: 10s
      timeout: 5s
      start_period: 60s
    read_only: true
    tmpfs:
      - /tmp
    cap_drop:
      - ALL
    security_opt:
      - no-new-privileges:true
  postgres:
    image: postgres:16-alpine
    restart: unless-stopped
    environment:
      POSTGRES_DB: orvanta
      POSTGRES_USER: orvanta
      POSTGRES_PASSWORD: "\${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}"
    volumes:
      - postgres:/var/lib/postgresql/data
    healthcheck:
      test: ["CMD", "pg_isready", "-U", "orvanta", "-d", "orvanta"]
      interval: 5s
      timeout: 5s
      retries: 20
  redis:
    image: redis:7-alpine
    restart: unless-stopped
    # BullMQ needs every key kept: refuse writes rather than evict.
    command: ["redis-server", "--maxmemory-policy", "noeviction", "--appendonly", "yes"]
    volumes:
      - redis:/data
    healthcheck:
      test: ["CMD", "redis-cli", "ping"]
      interval: 5s
      timeout: 5s
      retries: 20
volumes:
  postgres: {}
  redis: {}
`;

/** A POSIX shell word: single-quoted, with embedded single quotes closed, escaped and reopened. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_./:@%+=,-]+$/.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** A value inside a YAML double-quoted scalar of a compose file: YAML escapes, and `$` doubled so compose does not interpolate it. */
function composeString(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n').replaceAll('$', '$$$$');
}

/** A value for helm's --set: backslashes and commas escaped (helm splits on commas). */
function helmSetValue(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll(',', '\\,');
}

const DEFAULT_PUBLIC_URL = 'http://localhost:3100';

function checkParams(p: InstallParams): void {
  for (const [name, value] of [
    ['controlPlaneUrl', p.controlPlaneUrl],
    ['publicUrl', p.publicUrl ?? DEFAULT_PUBLIC_URL],
  ] as const) {
    if (!/^https?:\/\/\S+$/.test(value)) throw new Error(`${name} must be an http(s) URL`);
  }
  if (!p.enrollmentToken) throw new Error('enrollmentToken is required');
  if (!/^[A-Za-z0-9_-]+$/.test(p.dataPlaneId)) throw new Error('dataPlaneId must be letters, digits, _ or -');
  if (!/^\S+$/.test(p.image)) throw new Error('image must be an image reference');
}

export function installInstructions(params: InstallParams): InstallInstructions {
  checkParams(params);
  const random = params.random ?? ((bytes: number) => randomBytes(bytes).toString('hex'));
  const publicUrl = params.publicUrl ?? DEFAULT_PUBLIC_URL;
  // The ingress listens on publicUrl's explicit port, else on 3100 (behind a proxy serving publicUrl).
  const ingressPort = new URL(publicUrl).port || '3100';

  // compose: the on-prem file with every reference resolved, so it needs no .env.
  const values: Record<string, string> = {
    ORVANTA_IMAGE: params.image,
    CONTROL_PLANE_URL: params.controlPlaneUrl,
    ENROLLMENT_TOKEN: params.enrollmentToken,
    PUBLIC_URL: publicUrl,
    POSTGRES_PASSWORD: random(24),
    SECRETS_KEY: random(24),
    INGRESS_PORT: ingressPort,
  };
  const filled = ONPREM_COMPOSE_TEMPLATE.replace(/\$\{([A-Z_]+)(?::[-?][^}]*)?\}/g, (_m, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`onprem compose template refers to an unknown variable ${name}`);
    return composeString(value);
  }).replace(
    /^# Orvanta on-prem[\s\S]*?# The agent dials out/m,
    [
      `# Orvanta on-prem data plane ${params.dataPlaneId} on one host: the data-plane image with its own`,
      '# Postgres and Redis (infra/compose/onprem.yaml, filled in by the console).',
      '# Keep this file private: it holds the enrollment token and generated passwords.',
      '# Start it with:  docker compose -f orvanta-dataplane.yaml up -d',
      '# The agent dials out',
    ].join('\n'),
  );

  // helm: the chart from a checkout, bundled Postgres and Redis; the token lands in the chart's Secret.
  const namespace = `orvanta-${params.dataPlaneId.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`.slice(0, 63).replace(/-+$/, '');
  const set = (key: string, value: string, kind: '--set' | '--set-string' = '--set-string') => `  ${kind} ${shellQuote(`${key}=${helmSetValue(value)}`)} \\`;
  const helm = [
    `# Run from the root of a checkout of the Orvanta repository (the chart is infra/helm/orvanta-dataplane),`,
    `# with helm 3 and a kubeconfig for the target cluster. The token goes into the chart's Secret;`,
    `# it is also in your shell history: clear it, or pass it with --set-file from a private file.`,
    `helm upgrade --install dataplane infra/helm/orvanta-dataplane \\`,
    `  --namespace ${namespace} --create-namespace \\`,
    set('controlPlaneUrl', params.controlPlaneUrl),
    set('publicUrl', publicUrl),
    set('dataPlaneId', params.dataPlaneId),
    set('image.reference', params.image),
    set('secrets.enrollmentToken', params.enrollmentToken),
    set('postgresql.enabled', 'true', '--set'),
    `  --set redis.enabled=true`,
  ].join('\n');

  // node: the same program from a checkout, as the image builds it (infra/docker/dataplane.Dockerfile).
  const node = [
    `# Run from the root of a clean checkout of the Orvanta repository, with Node.js >= 20.19 and npm,`,
    `# with DATABASE_URL (this data plane's own, empty Postgres database) and REDIS_URL (its Redis)`,
    `# exported in the environment. Installs the data plane's dependencies as the image does,`,
    `# then runs it in the foreground (agent, ingress on PORT, scheduler and workers).`,
    `: "\${DATABASE_URL:?export DATABASE_URL=postgresql://… (this data plane's own database)}" \\`,
    `  "\${REDIS_URL:?export REDIS_URL=redis://… (this data plane's Redis)}" \\`,
    `&& npm ci --workspace @orvanta/dataplane --include-workspace-root=false --omit=dev --ignore-scripts \\`,
    `&& PRISMA_SCHEMA_ENGINE_BINARY=/bin/false npx --yes prisma@7.10.1 generate --config prisma/dataplane/prisma.config.ts \\`,
    `&& CONTROL_PLANE_URL=${shellQuote(params.controlPlaneUrl)} \\`,
    `  ENROLLMENT_TOKEN=${shellQuote(params.enrollmentToken)} \\`,
    `  PUBLIC_URL=${shellQuote(publicUrl)} \\`,
    `  PORT=${ingressPort} \\`,
    `  node services/dataplane/bin/orvanta-dataplane.mjs all`,
  ].join('\n');

  return { compose: filled, helm, node };
}
