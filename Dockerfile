# syntax=docker/dockerfile:1
# The Gatekeeper image: built with dev dependencies, run with production ones only, as the
# non-root `node` user. From the repository root:
#   docker build -t gatekeeper .
#   docker run --init -p 8080:8080 gatekeeper        # the demo: http://localhost:8080/ (alice / alice-password)
# Your own configuration and keys, mounted read-only at /etc/gatekeeper (docs/deployment.md):
#   docker run --init -p 8080:8080 -v "$PWD/my-gatekeeper:/etc/gatekeeper:ro" gatekeeper \
#     start --config /etc/gatekeeper/gateway.yaml
# BASE is any Debian-based image with Node 22 LTS (node, npm, a `node` user with uid 1000).
# `npm run test:image` builds one from Debian packages when no registry is reachable.
ARG BASE=node:22-bookworm-slim

FROM ${BASE} AS build
# Only for builds behind a TLS-intercepting proxy: the path of its CA bundle, mounted into the
# build (npm run test:image does so when the host sets NODE_EXTRA_CA_CERTS). Empty: unused.
ARG NODE_EXTRA_CA_CERTS=
WORKDIR /src
# The README's own commands: `npm ci`, then `npm run build`.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM ${BASE} AS run
ARG NODE_EXTRA_CA_CERTS=
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY config ./config
COPY deploy/image ./deploy/image
# The image's `node` user (uid 1000): nothing here runs as root, and nothing in /app is writable by it.
USER node
# 8080: the gateway; 9090: the ops listener (server.ops.listen) when a configuration sets it.
EXPOSE 8080 9090
ENV HEALTHCHECK_PORT=8080
# No curl in slim images: node asks /healthz itself. The Host header is one no app uses, because
# on an app host /healthz belongs to the app. Point HEALTHCHECK_PORT at the ops port when
# server.ops.listen is set.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "require('node:http').get({ host: '127.0.0.1', port: process.env.HEALTHCHECK_PORT, path: '/healthz', headers: { host: 'gatekeeper-healthcheck.invalid' }, timeout: 2000 }, (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1)).on('timeout', () => process.exit(1))"]
# Exec form: node is PID 1 and receives SIGTERM itself; the gateway stops accepting, finishes
# in-flight requests within server.shutdownTimeout, closes Redis and exits 0. It starts no child
# processes; `docker run --init` (compose: `init: true`) adds a reaper anyway and is recommended.
ENTRYPOINT ["node", "dist/cli.js"]
# The demo (gateway + the built-in demo app, in memory). Production: `start --config FILE`.
CMD ["demo", "--config", "/app/deploy/image/gateway.yaml"]
