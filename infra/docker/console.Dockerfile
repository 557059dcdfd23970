# The control plane (console + API) for infra/compose/local-stack.yaml. Build from the
# repository root:  docker build -f infra/docker/console.Dockerfile .
# /shared is where the local stack's setup leaves the data plane's enrollment token.
FROM node:20-bookworm-slim
WORKDIR /app
ENV PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 REDISMS_DISABLE_POSTINSTALL=1 NEXT_TELEMETRY_DISABLED=1
COPY . .
RUN npm ci && npm run build && chown -R node:node /app/apps/console/.next \
 && mkdir /shared && chown node:node /shared
ENV NODE_ENV=production
USER node
EXPOSE 3000
WORKDIR /app/apps/console
CMD ["node", "../../node_modules/next/dist/bin/next", "start", "-p", "3000"]
