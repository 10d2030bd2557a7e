# cas-migrate as operators run it, beside a stopped legacy daemon:
#   docker build -t cas-migrate .
#   docker run --rm --privileged -v /var/lib/docker:/var/lib/docker cas-migrate --root /var/lib/docker
# --privileged because the migration creates 0:0 character devices (overlay whiteouts) and
# trusted.overlay.* xattrs; docs/upgrading.md lists the exact capabilities for --cap-add instead.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

FROM node:20-bookworm-slim
# attr: getfattr/setfattr for names that are not UTF-8; coreutils (mknod, touch) is in the base.
RUN apt-get update \
 && apt-get install -y --no-install-recommends attr \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/cas-migrate
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY --from=build /src/dist ./dist
ENTRYPOINT ["node", "/opt/cas-migrate/bin/run.js"]
CMD ["--help"]
