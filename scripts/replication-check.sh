#!/usr/bin/env bash
# Issue 5's "done when", end to end: bucket replication to a second cluster
# and event notifications, under 10,000 mixed PUTs, overwrites and deletes,
# with the worker process killed and restarted in the middle.
#
#   scripts/replication-check.sh DIR [ARGS...]
#
# Starts cluster A (scripts/local-cluster.sh with TESSERA_SEPARATE_WORKER=1,
# in DIR/a) and cluster B (`tessera server`, in DIR/b), runs
# scripts/replication-check.py (ARGS go to it: --ops, --keys, --threads,
# --seed, --timeout, ...), and stops both clusters whatever happens; the logs
# stay in DIR. DIR must not hold an earlier run.
#
# The binary: $TESSERA_BIN, else $CARGO_TARGET_DIR (default
# ~/.cache/tessera/target) release, else debug. Python needs boto3: when the
# python3 on the PATH lacks it, a venv in ~/.cache/tessera/venv gets it.
# Ports: cluster A's (see local-cluster.sh), and for B S3 19301, admin 19311,
# website 19321, metadata 17301, storage 17311-17313 (TESSERA_PORT_OFFSET
# adds to all).
set -euo pipefail

DIR=${1:-}
[ -n "$DIR" ] || { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
shift
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$DIR"; DIR=$(cd "$DIR" && pwd)
if [ -e "$DIR/a" ] || [ -e "$DIR/b" ]; then
  echo "$DIR holds an earlier run (a/ or b/): use a new directory" >&2; exit 2
fi
OFF=${TESSERA_PORT_OFFSET:-0}

TARGET=${CARGO_TARGET_DIR:-$HOME/.cache/tessera/target}
if [ -z "${TESSERA_BIN:-}" ]; then
  for b in "$TARGET/release/tessera" "$TARGET/debug/tessera"; do
    [ -x "$b" ] && { TESSERA_BIN=$b; break; }
  done
fi
[ -x "${TESSERA_BIN:-}" ] || { echo "no tessera binary: build it (make build) or set TESSERA_BIN" >&2; exit 1; }
export TESSERA_BIN

# Python with boto3.
PY=python3
if ! "$PY" -c 'import boto3' 2>/dev/null; then
  VENV=$HOME/.cache/tessera/venv
  if ! "$VENV/bin/python" -c 'import boto3' 2>/dev/null; then
    echo "installing boto3 into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q boto3
  fi
  PY=$VENV/bin/python
fi
# The endpoints are plain http: no CA bundle is needed, and a stale one breaks boto3.
unset AWS_CA_BUNDLE

B_PID=""
cleanup() {
  local rc=$?
  set +e
  "$HERE/local-cluster.sh" down "$DIR/a" >/dev/null 2>&1
  if [ -n "$B_PID" ] && kill -0 "$B_PID" 2>/dev/null; then
    kill "$B_PID"
    for _ in $(seq 1 30); do kill -0 "$B_PID" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$B_PID" 2>/dev/null
  fi
  echo "clusters stopped; logs in $DIR/a/*.log and $DIR/b.log"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Cluster A: separate processes, the workers in worker1.
TESSERA_SEPARATE_WORKER=1 "$HERE/local-cluster.sh" up "$DIR/a"

# Cluster B: one process, its own root credentials.
B_AK="TKB$(head -c 4096 /dev/urandom | LC_ALL=C tr -dc 'A-Z2-7' | cut -c1-17)"
B_SK=$(head -c 4096 /dev/urandom | LC_ALL=C tr -dc 'A-Za-z0-9' | cut -c1-40)
B_S3=127.0.0.1:$((19301+OFF)); B_ADMIN=127.0.0.1:$((19311+OFF))
cat > "$DIR/b.toml" <<TOML
[meta]
addr = "127.0.0.1:$((17301+OFF))"
[storage]
addr = "127.0.0.1:$((17311+OFF))"
TOML
TESSERA_ROOT_ACCESS_KEY=$B_AK TESSERA_ROOT_SECRET_KEY=$B_SK \
  setsid nohup "$TESSERA_BIN" server --config "$DIR/b.toml" --data-dir "$DIR/b" \
    --s3-addr "$B_S3" --admin-addr "$B_ADMIN" --website-addr "127.0.0.1:$((19321+OFF))" \
    >> "$DIR/b.log" 2>&1 < /dev/null &
B_PID=$!
for _ in $(seq 1 120); do
  curl -sf "http://$B_ADMIN/ready" >/dev/null 2>&1 && break
  kill -0 "$B_PID" 2>/dev/null || { echo "cluster B did not start; see $DIR/b.log" >&2; exit 1; }
  sleep 0.5
done
curl -sf "http://$B_ADMIN/ready" >/dev/null || { echo "cluster B not ready; see $DIR/b.log" >&2; exit 1; }
echo "cluster B up: http://$B_S3 (pid $B_PID)"

set -a
# shellcheck disable=SC1091
. "$DIR/a/cluster.env"
set +a
"$PY" "$HERE/replication-check.py" "$DIR/a" --dest-endpoint "http://$B_S3" \
  --dest-access-key "$B_AK" --dest-secret-key "$B_SK" "$@"
