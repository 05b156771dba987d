# shellcheck shell=bash
# Assembling a minimal root filesystem from this machine's own files, for
# `docker import`: no base image is pulled. Sourced by build-local.sh and
# build-lb.sh.
#
#   rootfs_init DIR                  the skeleton (merged /usr like the host's)
#   rootfs_add_binary DIR SRC DEST   an ELF program and every library ldd lists
#   rootfs_add_file DIR SRC DEST     one file (symlinks followed)
#   rootfs_add_user DIR NAME ID      a user and group NAME with uid = gid = ID
#   rootfs_import DIR IMAGE          tar DIR (owned by root) | docker import
#   image_build IMAGE CONTEXT BASE   docker build CONTEXT on BASE; the image
#                                    the tag named before is removed if unused
# LD_LIBRARY_PATH, when set, is honoured by ldd: build-lb.sh uses it for
# libraries unpacked from Debian packages under ROOTFS_UNPACKED, which go to
# the image at their path inside the package.

rootfs_init() {
  local root=$1 d
  mkdir -p "$root"/{etc,tmp,usr/bin,usr/sbin,usr/lib,usr/local/bin}
  chmod 1777 "$root/tmp"
  # Keep the host's layout: with a merged /usr, /bin, /lib... are symlinks.
  for d in bin sbin lib lib64 lib32 libx32; do
    if [ -L "/$d" ]; then
      mkdir -p "$root/$(readlink "/$d")" && ln -sfn "$(readlink "/$d")" "$root/$d"
    elif [ -d "/$d" ]; then
      mkdir -p "$root/$d"
    fi
  done
  printf 'hosts: files dns\n' > "$root/etc/nsswitch.conf"
  printf 'root:x:0:0:root:/root:/usr/sbin/nologin\n' > "$root/etc/passwd"
  printf 'root:x:0:\n' > "$root/etc/group"
  if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    rootfs_add_file "$root" /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
  fi
}

rootfs_add_file() {
  local root=$1 src=$2 dest=$3
  mkdir -p "$root$(dirname "$dest")"
  cp -L "$src" "$root$dest"
}

rootfs_add_binary() {
  local root=$1 src=$2 dest=$3 lib out to
  out=$(ldd "$src" 2>&1) || { echo "ldd $src failed: $out" >&2; return 1; }
  if grep -q 'not found' <<< "$out"; then
    echo "libraries of $src not found on this machine:" >&2
    grep 'not found' <<< "$out" >&2
    return 1
  fi
  rootfs_add_file "$root" "$src" "$dest"
  chmod 0755 "$root$dest"
  # "libX.so => /path/libX.so (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)"
  for lib in $(grep -o '/[^ ]*' <<< "$out"); do
    to=$lib
    [ -n "${ROOTFS_UNPACKED:-}" ] && to=${lib#"$ROOTFS_UNPACKED"}
    [ -e "$root$to" ] || rootfs_add_file "$root" "$lib" "$to"
  done
}

rootfs_add_user() {
  local root=$1 name=$2 id=$3
  printf '%s:x:%s:%s:%s:/nonexistent:/usr/sbin/nologin\n' "$name" "$id" "$id" "$name" >> "$root/etc/passwd"
  printf '%s:x:%s:\n' "$name" "$id" >> "$root/etc/group"
}

rootfs_import() {
  local root=$1 image=$2
  tar -C "$root" --numeric-owner --owner=0 --group=0 -c . | docker import - "$image" > /dev/null
}


image_build() {
  local image=$1 ctx=$2 base=$3 old new
  old=$(docker image inspect -f '{{.Id}}' "$image" 2> /dev/null || true)
  docker build --quiet --build-arg "BASE=$base" -t "$image" "$ctx" > /dev/null
  new=$(docker image inspect -f '{{.Id}}' "$image")
  if [ -n "$old" ] && [ "$old" != "$new" ]; then
    docker image rm "$old" > /dev/null 2>&1 || true
  fi
}
