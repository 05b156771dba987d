#!/usr/bin/env bash
# Builds the Tessera runtime image (the one deploy/docker/Dockerfile makes)
# without pulling anything: a root filesystem assembled from this machine's
# files (the tessera binary, the shared libraries it loads, bash for the
# healthcheck and the Helm chart's start scripts, CA certificates, the
# `tessera` user) is imported as a base, then Dockerfile.local adds the
# runtime layers.
#
#   deploy/docker/build-local.sh          (or `make image`)
#
# TESSERA_BIN: the binary (default: the release build, as `make build` makes it).
# TESSERA_IMAGE: the image to make (default tessera:local).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=rootfs.sh
. "$here/rootfs.sh"

image=${TESSERA_IMAGE:-tessera:local}
bin=${TESSERA_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/tessera/target}/release/tessera}
[ -x "$bin" ] || { echo "build-local: no tessera binary at $bin: run make build, or set TESSERA_BIN" >&2; exit 1; }
command -v docker > /dev/null || { echo "build-local: docker is not installed" >&2; exit 1; }

work=$(mktemp -d)
base="tessera-base-$$:local"
cleanup() {
  rm -rf "$work"
  docker image rm "$base" > /dev/null 2>&1 || true
}
trap cleanup EXIT

root=$work/rootfs
rootfs_init "$root"
rootfs_add_binary "$root" "$bin" /usr/local/bin/tessera
rootfs_add_binary "$root" "$(command -v bash)" /usr/bin/bash
ln -s bash "$root/usr/bin/sh"
rootfs_add_file "$root" "$here/healthcheck.sh" /usr/local/bin/tessera-healthcheck
chmod 0755 "$root/usr/local/bin/tessera-healthcheck"
rootfs_add_user "$root" tessera 10001
rootfs_import "$root" "$base"

ctx=$work/context
mkdir -p "$ctx/data"
cp "$here/Dockerfile.local" "$ctx/Dockerfile"
image_build "$image" "$ctx" "$base"
echo "built $image ($(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}')) from $bin"
