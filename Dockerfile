# snowchain peer image: `docker run snowchain:local` runs a peer configured from its environment
# (variables in README and .env.example); `docker exec CONTAINER snowchain status|submit|chain|
# watch|entry` talks to it.
# Built by `docker compose build` (docker-compose.yml) or `docker build -t snowchain:local .`.

# --- build: dev dependencies, generated wire types, TypeScript -> dist/ -------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
# Dependencies first: this layer is reused until package*.json change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# The rest of the context (.dockerignore keeps out node_modules, dist, tests and data).
COPY . .
# The image runs dist/src/cli/main.js as `snowchain` through a symlink, which needs its shebang.
RUN npm run build \
 && { head -n 1 dist/src/cli/main.js | grep -q '^#!/usr/bin/env node' \
      || { echo "dist/src/cli/main.js must exist and start with '#!/usr/bin/env node'" >&2; exit 1; }; }

# --- prod-deps: production dependencies only -----------------------------------------------------
FROM node:20-bookworm-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime ---------------------------------------------------------------------------------------
FROM node:20-bookworm-slim
LABEL org.opencontainers.image.title="snowchain" \
      org.opencontainers.image.description="A peer-to-peer blockchain testnet whose peers agree through Snowball" \
      org.opencontainers.image.licenses="MIT"
ENV NODE_ENV=production \
    DATA_DIR=/data \
    LISTEN_ADDR=0.0.0.0:50051 \
    METRICS_PORT=9100
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json ./
# proto/ is loaded at run time: the loader finds it by walking up from dist/src/api.
COPY proto ./proto
COPY --from=build /app/dist ./dist
COPY docker/healthcheck.js ./docker/healthcheck.js
RUN chmod 0755 dist/src/cli/main.js \
 && ln -s /app/dist/src/cli/main.js /usr/local/bin/snowchain \
 && mkdir -p /data \
 && chown node:node /data
USER node
# One volume per container: compose gives each replica its own anonymous volume here.
VOLUME ["/data"]
# gRPC (peers and the CLI), then HTTP /metrics, /healthz, /readyz.
EXPOSE 50051 9100
# Healthy = alive: /healthz answers 200 on METRICS_PORT (node asks; no curl in a slim image).
# Liveness, not readiness: Docker Swarm puts a task in DNS (tasks.peer) only once it is healthy,
# and /readyz passes only after the peer found the others through that DNS. Compose overrides it
# with /readyz (docker-compose.yml); Kubernetes probes /healthz and /readyz itself.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "/app/docker/healthcheck.js", "/healthz"]
# Exec form: `snowchain` (node, through the shebang) is PID 1 and gets SIGTERM from `docker stop`
# itself; the peer handles SIGTERM and SIGINT and stops cleanly. Compose adds `init: true` as well.
ENTRYPOINT ["snowchain"]
CMD ["peer"]
