# mlserver-deno: one executable on a slim glibc base, drop-in for the MLServer image.
#
#   docker build -t mlserver-deno:0.1.0 .
#   docker run -p 8080:8080 -p 8081:8081 -v "$PWD/examples/models:/mnt/models" mlserver-deno:0.1.0
#
# Stages: `compile` makes the executable with `deno compile`; the last stage
# copies it onto a slim Debian base. `--build-arg MLSERVER_BUILD=source`
# instead ships the Deno runtime, the source and its npm packages with a
# small launcher (same final image layout), for builders that cannot
# download `denort`, the runtime `deno compile` needs. Build args choose the
# base images (e.g. ones assembled locally); behind a TLS-inspecting proxy,
# pass its CA with `--build-arg DENO_CERT=/path/in/build` (and mount it).
# ONNX: `deno compile` cannot carry onnxruntime-node's native library, so
# both stages put it (this platform's only, 46 MB for linux-x64) in
# /usr/local/lib/mlserver/onnxruntime, the one path `--allow-ffi` grants
# (runtimes/onnx/README.md).
# Buildah 1.28 skips stages named only through `FROM ${MLSERVER_BUILD}`:
# pass `--build-arg MLSERVER_BUILD=compile` (or `source`) explicitly there.

ARG DENO_VERSION=2.9.3
ARG DENO_IMAGE=denoland/deno:debian-${DENO_VERSION}
ARG BASE_IMAGE=debian:bookworm-slim
ARG MLSERVER_BUILD=compile

# --- The executable: `deno task compile` (also the builder image that
# `mlserver dockerfile` uses to rebuild it with a folder's own code). ---
FROM ${DENO_IMAGE} AS compile
# Extra CA for npm downloads through a proxy; unset unless passed.
ARG DENO_CERT
WORKDIR /src
COPY deno.json deno.lock main.ts ./
COPY src/ src/
COPY runtimes/ runtimes/
COPY scripts/ scripts/
RUN deno task compile \
    && mkdir -p /out/usr/local/bin \
    && cp dist/mlserver /out/usr/local/bin/mlserver \
    && deno run --allow-read --allow-write --allow-env --allow-run \
      scripts/install_onnxruntime.ts /out/usr/local/lib/mlserver/onnxruntime

# --- The alternative: the Deno runtime plus the source, npm packages cached. ---
FROM ${DENO_IMAGE} AS source
ARG DENO_CERT
WORKDIR /opt/mlserver-src
COPY deno.json deno.lock main.ts ./
COPY src/ src/
COPY runtimes/ runtimes/
COPY scripts/install_onnxruntime.ts scripts/
ENV DENO_DIR=/opt/mlserver-src/.deno
RUN deno install --frozen --entrypoint main.ts \
    && deno run --allow-read --allow-write --allow-env --allow-run \
      scripts/install_onnxruntime.ts /out/usr/local/lib/mlserver/onnxruntime \
    && rm -rf "$DENO_DIR"/npm/registry.npmjs.org/onnxruntime-node/*/bin \
    && mkdir -p /out/usr/local/bin /out/opt \
    && cp "$(command -v deno)" /out/usr/local/bin/deno \
    && printf '%s\n' '#!/bin/sh' \
      'export DENO_DIR=/opt/mlserver-src/.deno' \
      'exec /usr/local/bin/deno run -q --cached-only --frozen --unstable-no-legacy-abort --config /opt/mlserver-src/deno.json --allow-net --allow-read --allow-write --allow-env --allow-sys=uid --allow-run --allow-ffi=/usr/local/lib/mlserver/onnxruntime /opt/mlserver-src/main.ts "$@"' \
      > /out/usr/local/bin/mlserver \
    && chmod 0755 /out/usr/local/bin/mlserver \
    && cp -r /opt/mlserver-src /out/opt/mlserver-src

FROM ${MLSERVER_BUILD} AS artifact

# --- The image. ---
FROM ${BASE_IMAGE}
ARG DENO_VERSION
LABEL org.opencontainers.image.title="mlserver-deno" \
      org.opencontainers.image.description="MLServer-compatible inference server (Open Inference Protocol) in TypeScript on Deno ${DENO_VERSION}"

# User 1000 in group 0 with a group-writable home, so OpenShift's arbitrary
# UIDs (which always belong to group 0) can write where the server writes.
RUN useradd --uid 1000 --gid 0 --home-dir /opt/mlserver --create-home --shell /usr/sbin/nologin mlserver \
    && mkdir -p /opt/runtimes /mnt/models \
    && chgrp -R 0 /opt/mlserver /opt/runtimes /mnt/models \
    && chmod -R g=u /opt/mlserver /opt/runtimes /mnt/models

COPY --from=artifact /out/ /

# MLServer's defaults. KServe mounts the model at /mnt/models; ModelMesh sets
# MLSERVER_MODELS_DIR=/models/_mlserver_models/ and its ports (see deploy/).
# Custom runtime modules go in /opt/runtimes (or next to model-settings.json).
ENV MLSERVER_MODELS_DIR=/mnt/models \
    MLSERVER_MODULE_PATH=/opt/runtimes \
    MLSERVER_HTTP_PORT=8080 \
    MLSERVER_GRPC_PORT=8081 \
    MLSERVER_METRICS_PORT=8082 \
    HOME=/opt/mlserver \
    DENO_DIR=/opt/mlserver/.cache/deno \
    RUST_BACKTRACE=0 \
    NO_COLOR=1

WORKDIR /opt/mlserver
USER 1000
EXPOSE 8080 8081 8082
CMD ["/bin/sh", "-c", "exec mlserver start \"$MLSERVER_MODELS_DIR\""]
