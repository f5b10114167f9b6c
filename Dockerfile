# syntax=docker/dockerfile:1
# runledger: one image for every process. The entrypoint is the CLI:
#   docker run IMAGE start | api | worker | submit FILE --target NAME | runs list ...
# Build: docker build -t runledger:local .   (docker-compose.yml builds it for you)

# ---------------------------------------------------------------- build: install, compile, prune
FROM node:20-slim AS build
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

# Manifests first, so the npm ci layer is cached until a dependency changes. The root `prepare`
# script (the build) needs the sources, which are not there yet: it runs below instead.
COPY package.json package-lock.json ./
COPY packages/shared/package.json packages/shared/
COPY packages/client/package.json packages/client/
COPY packages/client-gen/package.json packages/client-gen/
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
COPY apps/cli/package.json apps/cli/
COPY apps/web/package.json apps/web/
COPY examples/iris/package.json examples/iris/
RUN npm ci --ignore-scripts

COPY tsconfig.base.json tsconfig.json ./
COPY packages/shared packages/shared
COPY packages/client packages/client
COPY apps apps
# tsc -b of the workspaces and the dashboard's Vite build (apps/web/dist); the build script also
# copies the run store's Lua scripts to packages/shared/dist/lua, where store.ts reads them. Then
# drop the dev dependencies.
RUN npm run build \
  && test -f packages/shared/dist/lua/record-results-9.lua \
  && test -f apps/web/dist/index.html \
  && npm prune --omit=dev

# ---------------------------------------------------------------- runtime: dist + production deps
FROM node:20-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/packages/shared/package.json packages/shared/
COPY --from=build /app/packages/shared/dist packages/shared/dist
COPY --from=build /app/packages/client/package.json packages/client/
COPY --from=build /app/packages/client/dist packages/client/dist
COPY --from=build /app/apps/api/package.json apps/api/
COPY --from=build /app/apps/api/dist apps/api/dist
COPY --from=build /app/apps/worker/package.json apps/worker/
COPY --from=build /app/apps/worker/dist apps/worker/dist
COPY --from=build /app/apps/cli/package.json apps/cli/
COPY --from=build /app/apps/cli/bin apps/cli/bin
COPY --from=build /app/apps/cli/dist apps/cli/dist
# the dashboard, served by the API at /
COPY --from=build /app/apps/web/dist apps/web/dist

# Listen on every interface inside the container; the API port.
ENV HOST=0.0.0.0 PORT=3000
EXPOSE 3000
USER node
ENTRYPOINT ["node", "apps/cli/bin/runledger.js"]
CMD ["start"]
