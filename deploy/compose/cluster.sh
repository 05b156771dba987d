#!/usr/bin/env bash
# The compose cluster of deploy/compose/docker-compose.yml.
#
#   deploy/compose/cluster.sh up     start it; returns once S3 answers through
#                                    the load balancer and every storage node
#                                    is up (at most TESSERA_CLUSTER_TIMEOUT s, 180)
#   deploy/compose/cluster.sh down   remove its containers, network and volumes
#   deploy/compose/cluster.sh logs   follow its logs
#
# Root credentials: TESSERA_ROOT_ACCESS_KEY / TESSERA_ROOT_SECRET_KEY from the
# environment, else deploy/compose/.env. The compose project is named
# TESSERA_COMPOSE_PROJECT (default tessera): its containers, network and
# volumes are prefixed with it. Host ports: TESSERA_S3_PORT (9000),
# TESSERA_WEBSITE_PORT (9080), TESSERA_ADMIN_PORT (9100).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
file=$here/docker-compose.yml
timeout=${TESSERA_CLUSTER_TIMEOUT:-180}
project=${TESSERA_COMPOSE_PROJECT:-tessera}

if docker compose version > /dev/null 2>&1; then
  compose=(docker compose -p "$project" -f "$file")
elif command -v docker-compose > /dev/null; then
  compose=(docker-compose -p "$project" -f "$file")
else
  echo "cluster: neither 'docker compose' nor docker-compose is installed" >&2; exit 1
fi

# The published address, as compose sees it (environment, else .env).
setting() {
  local v=${!1:-}
  [ -n "$v" ] || v=$(sed -n "s/^$1=//p" "$here/.env" | tail -n 1)
  echo "${v:-$2}"
}

up() {
  local img
  for img in "$(setting TESSERA_IMAGE tessera:local)" "$(setting TESSERA_LB_IMAGE tessera-lb:local)"; do
    docker image inspect "$img" > /dev/null 2>&1 \
      || { echo "cluster: no image $img: run make image and make lb-image" >&2; exit 1; }
  done
  "${compose[@]}" up -d
  local host s3 admin deadline code ready nodes
  host=$(setting TESSERA_PUBLISH_ADDR 127.0.0.1); [ "$host" = 0.0.0.0 ] && host=127.0.0.1
  s3=http://$host:$(setting TESSERA_S3_PORT 9000) admin=http://$host:$(setting TESSERA_ADMIN_PORT 9100)
  deadline=$((SECONDS + timeout))
  echo "cluster: waiting for $s3 (at most ${timeout}s)"
  while :; do
    # Any HTTP answer from S3 (403 to an anonymous request) and all 6 storage nodes in the map.
    code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 "$s3/" || true)
    ready=$(curl -sf -m 5 "$admin/ready" || true)
    nodes=$(sed -n 's/.*"storage_nodes": *\([0-9]*\).*/\1/p' <<< "$ready")
    if [ "${code:-000}" != 000 ] && [ "${nodes:-0}" -ge 6 ]; then break; fi
    if [ $SECONDS -ge $deadline ]; then
      "${compose[@]}" ps >&2
      echo "cluster: S3 did not answer on $s3 within ${timeout}s (last /ready: ${ready:-none}); see make cluster-logs" >&2
      exit 1
    fi
    sleep 2
  done
  echo "cluster: up. S3 endpoint $s3, website endpoint http://$host:$(setting TESSERA_WEBSITE_PORT 9080), admin API $admin"
  echo "  export AWS_ACCESS_KEY_ID=$(setting TESSERA_ROOT_ACCESS_KEY '') AWS_SECRET_ACCESS_KEY=<TESSERA_ROOT_SECRET_KEY> AWS_REGION=us-east-1"
  echo "  aws --endpoint-url $s3 s3 ls"
}

case "${1:-}" in
  up) up ;;
  down) "${compose[@]}" down --volumes --remove-orphans ;;
  logs) "${compose[@]}" logs -f --tail=100 ;;
  *) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
