# The one data-plane image: shared regions, dedicated regions and on-prem installs all
# run it; only environment variables differ (see README "Configuring a real deployment").
# Build from the repository root:  docker build -f infra/docker/dataplane.Dockerfile .
FROM node:20-bookworm-slim AS deps
WORKDIR /app
ENV PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 REDISMS_DISABLE_POSTINSTALL=1 NEXT_TELEMETRY_DISABLED=1
COPY package.json package-lock.json .npmrc ./
COPY scripts/prisma-generate.mjs scripts/
COPY prisma prisma
COPY services services
COPY apps/console/package.json apps/console/
RUN npm ci --workspace @orvanta/dataplane --include-workspace-root=false --omit=dev --ignore-scripts \
 && PRISMA_SCHEMA_ENGINE_BINARY=/bin/false npx --yes prisma@7.10.1 generate --config prisma/dataplane/prisma.config.ts

FROM node:20-bookworm-slim
# bubblewrap and python3 for python and shell script nodes; they run only where
# SCRIPT_LANGUAGES allows them (default: javascript,typescript).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends bubblewrap python3 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production PORT=3100 HOST=0.0.0.0
COPY --from=deps /app /app
USER node
EXPOSE 3100
# Connects out to CONTROL_PLANE_URL; the only inbound port is the ingress (run data, webhooks).
ENTRYPOINT ["node", "services/dataplane/bin/orvanta-dataplane.mjs"]
CMD ["all"]
