#!/usr/bin/env bash
# Builds the server image where no image registry is reachable (our build
# machines): a Debian base made with debootstrap, a Deno image made from the
# deno binary npm installs, then the Dockerfile with buildah in `source` mode
# (`deno compile` cannot download its runtime there). Needs root, debootstrap,
# podman and buildah (apt-get install debootstrap podman buildah). At the end
# it checks that the image holds one platform's ONNX Runtime library and
# prints the image size.
#
#   sudo scripts/build_image_offline.sh            # -> localhost/mlserver-deno:<version>
#
# Environment: DENO_BIN (default: the deno on PATH, version 2.9.3),
# WORK (scratch folder), TAG, and NODE_EXTRA_CA_CERTS / DENO_CERT when HTTPS
# goes through a proxy with its own CA (passed to the build as DENO_CERT).
set -euo pipefail
export RUST_BACKTRACE=0

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${WORK:-/tmp/mlserver-image}
DENO_BIN=${DENO_BIN:-$(command -v deno)}
VERSION=$(sed -n 's/^export const VERSION = "\(.*\)";$/\1/p' "$ROOT/src/version.ts")
TAG=${TAG:-localhost/mlserver-deno:$VERSION}
CA=${DENO_CERT:-${NODE_EXTRA_CA_CERTS:-}}

"$DENO_BIN" --version | grep -q '^deno 2\.9\.3 ' || { echo "need deno 2.9.3 at $DENO_BIN" >&2; exit 1; }
mkdir -p "$WORK"

if ! podman image exists localhost/bookworm-base; then
  echo "== debootstrap a Debian 12 base"
  rm -rf "$WORK/rootfs"
  debootstrap --variant=minbase --include=passwd,ca-certificates bookworm "$WORK/rootfs"
  chroot "$WORK/rootfs" apt-get clean
  rm -rf "$WORK/rootfs/var/lib/apt/lists/"*
  tar -C "$WORK/rootfs" -c . | podman import - localhost/bookworm-base
fi

echo "== a Deno 2.9.3 image from $DENO_BIN"
mkdir -p "$WORK/deno"
cp "$DENO_BIN" "$WORK/deno/deno"
cat > "$WORK/deno/Dockerfile" <<'DOCKERFILE'
FROM localhost/bookworm-base
COPY deno /usr/bin/deno
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN chmod 0755 /usr/bin/deno && deno --version
DOCKERFILE
buildah build --isolation chroot -t localhost/deno:2.9.3 "$WORK/deno"

echo "== the server image"
ca_args=()
if [[ -n "$CA" ]]; then
  ca_args=(--build-arg DENO_CERT=/etc/extra-ca.pem -v "$CA:/etc/extra-ca.pem:ro")
fi
buildah build --isolation chroot \
  --build-arg DENO_IMAGE=localhost/deno:2.9.3 \
  --build-arg BASE_IMAGE=localhost/bookworm-base \
  --build-arg MLSERVER_BUILD=source \
  "${ca_args[@]}" -t "$TAG" "$ROOT"
echo "built $TAG"

# The ONNX Runtime library: this platform's only (linux/x64 on x86_64).
# Read from the mounted image: `podman run` cannot set rlimits on our
# build machines (crun: setrlimit `RLIMIT_NOFILE`: Operation not permitted).
ctr=$(buildah from "$TAG")
trap 'buildah rm "$ctr" >/dev/null' EXIT
mnt=$(buildah mount "$ctr")
platforms=$(cd "$mnt/usr/local/lib/mlserver/onnxruntime/node_modules/onnxruntime-node/bin/napi-v6" && echo */*)
echo "onnxruntime-node native libraries in the image: $platforms"
[[ "$platforms" != *" "* ]] || { echo "more than one platform's library in the image" >&2; exit 1; }
echo "image size: $(podman image inspect --format '{{.Size}}' "$TAG" | numfmt --to=iec-i --suffix=B)"
