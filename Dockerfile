# syntax=docker/dockerfile:1
# mtls-doctor: `node dist/main.js bot | worker | all` on Node 20, as a non-root user, with production
# dependencies only. istioctl is optional:
#   docker build -t mtls-doctor:0.1.0 .
#   docker build --build-arg ISTIOCTL_VERSION=1.24.2 -t mtls-doctor:0.1.0-istioctl .
# Pick the istioctl of the mesh's Istio version: the worker uses it for `proxy-status` and `analyze`,
# and as a fallback for config dumps.

ARG NODE_IMAGE=node:20-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs20-debian12:nonroot

# Compiles the TypeScript (dev dependencies: typescript and @types).
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Production dependencies only. Install scripts are not run: the one dependency with one
# (msgpackr-extract, optional) ships prebuilt binaries, and msgpackr works without it.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# istioctl from Istio's release, checked against its published SHA-256; an empty directory when
# ISTIOCTL_VERSION is not given.
FROM debian:bookworm-slim AS istioctl
ARG ISTIOCTL_VERSION=""
ARG TARGETARCH
RUN mkdir -p /out && if [ -n "${ISTIOCTL_VERSION}" ]; then \
      set -eu; \
      apt-get update -qq && apt-get install -y -qq --no-install-recommends ca-certificates curl >/dev/null; \
      arch="${TARGETARCH:-amd64}"; \
      file="istioctl-${ISTIOCTL_VERSION}-linux-${arch}.tar.gz"; \
      url="https://github.com/istio/istio/releases/download/${ISTIOCTL_VERSION}/${file}"; \
      cd /tmp && curl -fsSLO "${url}" && curl -fsSLO "${url}.sha256"; \
      echo "$(cut -d ' ' -f 1 "${file}.sha256")  ${file}" | sha256sum -c -; \
      tar -xzf "${file}" -C /out istioctl; \
      chmod 0755 /out/istioctl; \
    fi

# Node 20 and nothing else: no shell, no package manager. User 65532 ("nonroot").
FROM ${RUNTIME_IMAGE}
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY --from=istioctl /out/ /usr/local/bin/
USER 65532:65532
EXPOSE 3000 9464
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/main.js"]
CMD ["all"]
