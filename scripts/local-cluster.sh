#!/usr/bin/env bash
# A Tessera cluster of separate processes on loopback, for development and
# tests: 3 metadata nodes (meta1..meta3), 6 storage nodes (storage1..storage6,
# erasure profile 4+2) and 2 gateways (gateway1, gateway2; gateway1 runs the
# workers).
#
#   scripts/local-cluster.sh up DIR          start the cluster, write DIR/cluster.env
#   scripts/local-cluster.sh kill DIR NODE   SIGKILL one node (e.g. meta1, storage3)
#   scripts/local-cluster.sh start DIR NODE  start a stopped node again, same arguments
#   scripts/local-cluster.sh add DIR NODE    start a new storage node (storage7, ...)
#   scripts/local-cluster.sh down DIR        stop every node (SIGTERM, then SIGKILL)
#   scripts/local-cluster.sh status DIR      which nodes run
#
# Root credentials: TESSERA_ROOT_ACCESS_KEY / TESSERA_ROOT_SECRET_KEY when set,
# else generated once and kept in DIR/cluster.env. The binary: $TESSERA_BIN,
# else the release build, else the debug build. Ports: meta 17101-17103,
# storage 17201+, S3 19001-19002, admin 19101-19102, website 19081-19082
# (TESSERA_PORT_OFFSET adds to all). A storage node silent for 30 s is declared down.
#
# TESSERA_SEPARATE_WORKER=1 at `up`: gateway1 runs without --workers and the
# background workers run in their own process, worker1 (`tessera worker`,
# no ports), which kill/start handle like any node (start DIR worker2 adds
# another). The choice is kept in DIR/separate-worker for later starts.
set -euo pipefail

cmd=${1:-}; DIR=${2:-}; NODE=${3:-}
usage() { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ -n "$cmd" ] && [ -n "$DIR" ] || usage
mkdir -p "$DIR"; DIR=$(cd "$DIR" && pwd)
OFF=${TESSERA_PORT_OFFSET:-0}
TARGET=${CARGO_TARGET_DIR:-$HOME/.cache/tessera/target}
BIN=${TESSERA_BIN:-}
if [ -z "$BIN" ]; then
  for b in "$TARGET/release/tessera" "$TARGET/debug/tessera"; do [ -x "$b" ] && { BIN=$b; break; }; done
fi
[ -n "$BIN" ] || BIN=$(command -v tessera || true)
[ -x "$BIN" ] || { echo "no tessera binary: build it (make build) or set TESSERA_BIN" >&2; exit 1; }

META_LIST="127.0.0.1:$((17101+OFF)),127.0.0.1:$((17102+OFF)),127.0.0.1:$((17103+OFF))"

credentials() {
  if [ -n "${TESSERA_ROOT_ACCESS_KEY:-}" ] && [ -n "${TESSERA_ROOT_SECRET_KEY:-}" ]; then
    AK=$TESSERA_ROOT_ACCESS_KEY; SK=$TESSERA_ROOT_SECRET_KEY
  elif [ -f "$DIR/cluster.env" ]; then
    AK=$(sed -n 's/^AWS_ACCESS_KEY_ID=//p' "$DIR/cluster.env"); SK=$(sed -n 's/^AWS_SECRET_ACCESS_KEY=//p' "$DIR/cluster.env")
  else
    # Read a fixed amount of randomness (no reader closing early: pipefail).
    AK="TK$(head -c 4096 /dev/urandom | LC_ALL=C tr -dc 'A-Z2-7' | cut -c1-18)"
    SK=$(head -c 4096 /dev/urandom | LC_ALL=C tr -dc 'A-Za-z0-9' | cut -c1-40)
  fi
}

# Whether the workers run in worker nodes rather than in gateway1.
separate_worker() { [ "${TESSERA_SEPARATE_WORKER:-0}" = 1 ] || [ -f "$DIR/separate-worker" ]; }

# The command line of a node, by name.
node_args() {
  local n=$1 i
  case "$n" in
    meta[1-9])
      i=${n#meta}
      local boot=""; [ "$i" = 1 ] && [ ! -d "$DIR/$n" ] && boot="--bootstrap"
      echo "meta --node-id $i --data-dir $DIR/$n --addr 127.0.0.1:$((17100+i+OFF)) $boot" \
        "--peer 1=127.0.0.1:$((17101+OFF)) --peer 2=127.0.0.1:$((17102+OFF)) --peer 3=127.0.0.1:$((17103+OFF))" ;;
    storage[1-9]*)
      i=${n#storage}
      echo "storage --config $DIR/tessera.toml --data-dir $DIR/$n --zone zone-$i --addr 127.0.0.1:$((17200+i+OFF)) --meta $META_LIST" ;;
    gateway[1-9])
      i=${n#gateway}
      local w=""; [ "$i" = 1 ] && ! separate_worker && w="--workers"
      echo "gateway --config $DIR/tessera.toml --meta $META_LIST --s3-addr 127.0.0.1:$((19000+i+OFF)) --admin-addr 127.0.0.1:$((19100+i+OFF)) --website-addr 127.0.0.1:$((19080+i+OFF)) $w" ;;
    worker[1-9])
      echo "worker --config $DIR/tessera.toml --meta $META_LIST" ;;
    *) echo "unknown node name: $n (meta1-3, storageN, gateway1-2, workerN)" >&2; return 1 ;;
  esac
}

running() { [ -f "$DIR/$1.pid" ] && kill -0 "$(cat "$DIR/$1.pid")" 2>/dev/null; }

start_node() {
  local n=$1 args
  if running "$n"; then echo "$n already running"; return 0; fi
  args=$(node_args "$n")
  credentials
  # shellcheck disable=SC2086
  TESSERA_ROOT_ACCESS_KEY=$AK TESSERA_ROOT_SECRET_KEY=$SK \
    setsid nohup "$BIN" $args >> "$DIR/$n.log" 2>&1 < /dev/null &
  echo $! > "$DIR/$n.pid"
  echo "started $n (pid $!)"
}

wait_ready() {
  local port=$1 want=$2
  for _ in $(seq 1 120); do
    if curl -sf "http://127.0.0.1:$port/ready" 2>/dev/null | grep -q "\"storage_nodes\": $want"; then return 0; fi
    sleep 0.5
  done
  echo "gateway on admin port $port not ready; see $DIR/*.log" >&2; return 1
}

nodes() { ls "$DIR"/*.pid 2>/dev/null | xargs -n1 basename 2>/dev/null | sed 's/\.pid$//' || true; }

case "$cmd" in
  up)
    credentials
    # Every node of this cluster gets these same root credentials.
    export TESSERA_ROOT_ACCESS_KEY=$AK TESSERA_ROOT_SECRET_KEY=$SK
    if [ "${TESSERA_SEPARATE_WORKER:-0}" = 1 ]; then touch "$DIR/separate-worker"; else rm -f "$DIR/separate-worker"; fi
    cat > "$DIR/tessera.toml" <<TOML
[engine]
standard_profile = "4+2"
reduced_redundancy_profile = "4+1"
node_timeout_secs = 30
[storage]
heartbeat_secs = 5
TOML
    for n in meta1 meta2 meta3; do start_node "$n"; done
    sleep 1
    for i in 1 2 3 4 5 6; do start_node "storage$i"; done
    for n in gateway1 gateway2; do start_node "$n"; done
    wait_ready $((19101+OFF)) 6 && wait_ready $((19102+OFF)) 6
    if separate_worker; then start_node worker1; fi
    cat > "$DIR/cluster.env" <<ENV
S3_ENDPOINTS="http://127.0.0.1:$((19001+OFF)) http://127.0.0.1:$((19002+OFF))"
ADMIN_ENDPOINT=http://127.0.0.1:$((19101+OFF))
AWS_ACCESS_KEY_ID=$AK
AWS_SECRET_ACCESS_KEY=$SK
ENV
    echo "cluster up; settings in $DIR/cluster.env" ;;
  kill)
    [ -n "$NODE" ] || usage
    if running "$NODE"; then
      kill -9 "$(cat "$DIR/$NODE.pid")"
      # Until it is gone, so that a `start` right after does start it.
      for _ in $(seq 1 50); do running "$NODE" || break; sleep 0.2; done
      echo "killed $NODE"
    else echo "$NODE is not running"; fi ;;
  start|add)
    [ -n "$NODE" ] || usage
    start_node "$NODE" ;;
  down)
    for n in $(nodes); do running "$n" && kill "$(cat "$DIR/$n.pid")" 2>/dev/null || true; done
    for _ in $(seq 1 30); do
      alive=0; for n in $(nodes); do running "$n" && alive=1; done
      [ $alive = 0 ] && break; sleep 0.5
    done
    for n in $(nodes); do running "$n" && kill -9 "$(cat "$DIR/$n.pid")" 2>/dev/null || true; rm -f "$DIR/$n.pid"; done
    echo "cluster down" ;;
  status)
    for n in $(nodes); do if running "$n"; then echo "$n running"; else echo "$n stopped"; fi; done ;;
  *) usage ;;
esac
