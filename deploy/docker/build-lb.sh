#!/usr/bin/env bash
# Builds the load balancer image of the compose cluster (HAProxy) without
# pulling anything, the way build-local.sh builds Tessera's: HAProxy's
# binary and libraries in a root filesystem of this machine's files,
# imported as a base, then Dockerfile.lb on top.
#
#   deploy/docker/build-lb.sh             (or `make lb-image`)
#
# HAProxy comes from this machine when it is installed, else from Debian's
# package (and those of its libraries this machine lacks), downloaded with
# apt-get and unpacked in a cache directory: nothing is installed here.
# TESSERA_LB_IMAGE: the image to make (default tessera-lb:local).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=rootfs.sh
. "$here/rootfs.sh"

image=${TESSERA_LB_IMAGE:-tessera-lb:local}
command -v docker > /dev/null || { echo "build-lb: docker is not installed" >&2; exit 1; }

work=$(mktemp -d)
base="tessera-lb-base-$$:local"
cleanup() {
  rm -rf "$work"
  docker image rm "$base" > /dev/null 2>&1 || true
}
trap cleanup EXIT

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

download() {
  (cd "$debs" && { ls "$1"_*.deb > /dev/null 2>&1 || apt-get download -q "$1" > "$work/apt.log" 2>&1; })
}

# Unpacks PKG and, recursively, the library packages it needs that this
# machine lacks (first choice of each dependency) into $unpacked.
unpack_deb() {
  local pkg=$1 deb dep
  [ -e "$work/seen.$pkg" ] && return 0
  touch "$work/seen.$pkg"
  if ! download "$pkg"; then
    # Package lists never fetched, or stale: refresh them once (as root).
    if [ "$(id -u)" = 0 ] && [ ! -e "$work/updated" ]; then
      touch "$work/updated"
      apt-get update -qq > /dev/null 2>&1 || true
    fi
    download "$pkg" || { cat "$work/apt.log" >&2; echo "build-lb: apt-get download $pkg failed (apt-get update first?)" >&2; exit 1; }
  fi
  deb=$(ls "$debs/${pkg}"_*.deb | tail -n 1)
  dpkg-deb -x "$deb" "$unpacked"
  for dep in $(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/:any//; s/ //g'); do
    case "$dep" in lib*) installed "$dep" || unpack_deb "$dep" ;; esac
  done
}

if haproxy=$(command -v haproxy); then
  echo "build-lb: HAProxy from this machine ($haproxy)"
else
  command -v apt-get > /dev/null || { echo "build-lb: install haproxy (no apt-get here)" >&2; exit 1; }
  debs=${XDG_CACHE_HOME:-$HOME/.cache}/tessera/lb-debs
  unpacked=$work/unpacked
  mkdir -p "$debs" "$unpacked"
  unpack_deb haproxy
  haproxy=$unpacked/usr/sbin/haproxy
  LD_LIBRARY_PATH=$(find "$unpacked" -name '*.so*' -printf '%h\n' | sort -u | paste -sd:)
  export LD_LIBRARY_PATH ROOTFS_UNPACKED=$unpacked
  echo "build-lb: HAProxy from Debian's package ($(ls "$debs"/haproxy_*.deb | tail -n 1 | xargs basename))"
fi

root=$work/rootfs
rootfs_init "$root"
rootfs_add_binary "$root" "$haproxy" /usr/sbin/haproxy
rootfs_add_binary "$root" "$(command -v bash)" /usr/bin/bash
ln -s bash "$root/usr/bin/sh"
rootfs_add_file "$root" "$here/healthcheck.sh" /usr/local/bin/tessera-healthcheck
chmod 0755 "$root/usr/local/bin/tessera-healthcheck"
rootfs_add_user "$root" haproxy 10002
unset LD_LIBRARY_PATH ROOTFS_UNPACKED
rootfs_import "$root" "$base"

ctx=$work/context
mkdir -p "$ctx"
cp "$here/Dockerfile.lb" "$ctx/Dockerfile"
image_build "$image" "$ctx" "$base"
echo "built $image"
