# cas-migrate as operators run it, beside a stopped legacy daemon:
#   docker build -t cas-migrate .
#   docker run --rm --privileged -v /var/lib/docker:/var/lib/docker cas-migrate --root /var/lib/docker
# --privileged because the migration creates 0:0 character devices (overlay whiteouts) and
# trusted.overlay.* xattrs; docs/upgrading.md lists the exact capabilities for --cap-add instead.

FROM node:20-bookworm-slim AS build
# A compiler for the optional native addon (CRC-64 by carry-less multiply, batched file reads:
# docs/performance.md); only the built .node file reaches the image. Node's own headers are in
# the base image, so node-gyp needs no download.
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ make python3 \
 && rm -rf /var/lib/apt/lists/*
ENV npm_config_nodedir=/usr/local
WORKDIR /src
COPY package.json package-lock.json binding.gyp ./
COPY native ./native
COPY scripts/build-native.sh ./scripts/
# npm ci runs our install script, which builds the addon; without a .node file the image still
# runs, on the portable path (the build log says why).
RUN npm ci --no-audit --no-fund && mkdir -p build/Release
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json
# The CLI bundled into one file, and oclif.manifest.json from its command list: a start loads
# one module instead of a few hundred (docs/performance.md, start-up).
COPY scripts/bundle.js scripts/oclif-manifest.js ./scripts/
RUN node scripts/bundle.js && node scripts/oclif-manifest.js

FROM node:20-bookworm-slim
# attr: getfattr/setfattr for names that are not UTF-8; coreutils (mknod, touch) is in the base.
RUN apt-get update \
 && apt-get install -y --no-install-recommends attr \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/cas-migrate
COPY package.json package-lock.json ./
# --ignore-scripts: the only install script is our addon build, done in the build stage.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY deploy/final-pass.sh ./deploy/final-pass.sh
COPY --from=build /src/dist ./dist
COPY --from=build /src/build/Release ./build/Release
COPY --from=build /src/oclif.manifest.json ./
# The V8 flag bin/run.js gives Node when run as a program (its first two lines).
ENTRYPOINT ["node", "--max-semi-space-size=2", "/opt/cas-migrate/bin/run.js"]
CMD ["--help"]
