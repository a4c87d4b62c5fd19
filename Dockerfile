# Images of eci-hybrid-gateway: one build, one target per image. Build from the repository root:
#   docker build --target agent -t gateway-agent:0.1.0 .
#   docker build --target relay -t gateway-relay:0.1.0 .
#   docker build --target egress -t gateway-egress:0.1.0 .
# The build stage compiles the production code to dist/ (`npm run build`); the images hold dist/, the
# bin shims and the locked production dependencies, no TypeScript sources (bin/load.js then runs dist/).
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
RUN npm ci --no-audit --no-fund
COPY scripts/build.mjs ./scripts/
COPY common ./common
COPY proto ./proto
COPY agent ./agent
COPY cloud ./cloud
RUN npm run build && rm -rf node_modules && npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# What the images share.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# At most two glibc malloc arenas: much less fragmentation (RSS) in a long-running Node process
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin/load.js ./bin/
# Numeric non-root user so Kubernetes runAsNonRoot can verify it (the charts run as 10001).
USER 10001:10001

# gateway-agent: the virtual kubelet.
FROM runtime AS agent
COPY bin/gateway-agent.js ./bin/
# Fails the build if a module is missing (prints the options and exits 0).
RUN node bin/gateway-agent.js --help > /dev/null
# Kubelet API and ops (/healthz, /readyz, /metrics).
EXPOSE 10250 9095
# V8's young generation at Node 20's size: Node 24 grows each semi-space to 64 MB, about 90 MB more RSS at
# 5,000 pods for no measurable gain. The V8 heap grows by 50% at a time, not up to 4x: the agent's live heap
# at 5,000 pods is about 110 MB, and the default headroom took its RSS to 442 MB (about 270 MB with it;
# bench/burst). Buffers count toward V8's heap limit instead of forcing a full collection every 64 MB of them
# (Node 24's default): session bytes cost 8.7 -> 5.2 CPU s/GiB in the agent (bench/stream). (V8 flags cannot go
# in NODE_OPTIONS.)
ENTRYPOINT ["node", "--max-semi-space-size=16", "--heap-growing-percent=50", "--external-memory-accounted-in-global-limit", "/app/bin/gateway-agent.js"]

# gateway-relay: the cloud relay.
FROM runtime AS relay
COPY bin/gateway-relay.js ./bin/
RUN node bin/gateway-relay.js --help > /dev/null
# Agent gRPC (TLS) and ops (/healthz, /readyz, /metrics).
EXPOSE 8443 9096
# The young generation as the agent's; the V8 heap grows by 50% at a time, not up to 4x: the relay's live
# heap is small next to the garbage of status polling, and the default headroom was most of its RSS at
# 5,000 pods (bench/burst). Buffers count toward the heap limit, as in the agent: session bytes cost 6.0 -> 3.3
# CPU s/GiB in the relay (bench/stream).
ENTRYPOINT ["node", "--max-semi-space-size=16", "--heap-growing-percent=50", "--external-memory-accounted-in-global-limit", "/app/bin/gateway-relay.js"]

# gateway-egress: the egress sidecar the relay adds to burst pods' container groups (networking mode tunnel,
# outbound; a tenant's `egress.image`). Configured by the env the relay's ECI mapping sets; no port to EXPOSE:
# it serves DNS on 127.0.0.1:53 and the exported Services' ports on loopback addresses of the group. As user
# 10001 that needs the group's net.ipv4.ip_unprivileged_port_start at or below the lowest of those ports.
FROM runtime AS egress
COPY bin/gateway-egress.js ./bin/
RUN node bin/gateway-egress.js --help > /dev/null
# The same Node flags as the relay and the agent.
ENTRYPOINT ["node", "--max-semi-space-size=16", "--heap-growing-percent=50", "--external-memory-accounted-in-global-limit", "/app/bin/gateway-egress.js"]
