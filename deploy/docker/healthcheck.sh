#!/bin/bash
# The container healthcheck of the Tessera images, with no curl in them: it
# speaks HTTP through bash's /dev/tcp.
#
#   tessera-healthcheck                        check what PID 1 runs (below)
#   tessera-healthcheck http://HOST:PORT/PATH  an HTTP GET must answer 200
#   tessera-healthcheck tcp://HOST:PORT        a TCP connection must be accepted
#
# What PID 1 runs, from its command line (`tessera ROLE FLAGS...`):
#   gateway, server  GET /ready on --admin-addr (else $TESSERA_ADMIN_ADDR, else
#                    127.0.0.1:9100): 200 once the metadata cluster answers
#   meta             a TCP connection to --addr (else 127.0.0.1:7100)
#   storage          a TCP connection to --addr (else 127.0.0.1:7200)
#   anything else    healthy while it runs (`tessera worker` serves no port)
# A wildcard listen address (0.0.0.0, [::]) is checked on 127.0.0.1.
# TESSERA_HEALTH_PID inspects another process than PID 1 (for tests).
set -u
wait_s=${TESSERA_HEALTH_TIMEOUT:-5}

fail() { echo "unhealthy: $*" >&2; exit 1; }

# HOST:PORT -> "HOST PORT"
split_addr() {
  local host=${1%:*} port=${1##*:}
  host=${host#[}; host=${host%]}
  case "$host" in 0.0.0.0|::|'') host=127.0.0.1 ;; esac
  echo "$host $port"
}

check_tcp() {
  local host port
  read -r host port <<< "$(split_addr "$1")"
  (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null || fail "nothing accepts connections on $host:$port"
}

check_http() {
  local rest=${1#http://} host port path status
  path=/${rest#*/}; [ "$rest" = "${rest#*/}" ] && path=/
  read -r host port <<< "$(split_addr "${rest%%/*}")"
  { exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null || fail "nothing accepts connections on $host:$port"
  printf 'GET %s HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n\r\n' "$path" "$host" "$port" >&3
  read -r -t "$wait_s" status <&3 || fail "no answer from http://$host:$port$path"
  exec 3<&-
  [[ $status =~ ^HTTP/1\.[01]\ 200 ]] || fail "http://$host:$port$path answered: ${status%$'\r'}"
}

# The value of FLAG in PID 1's arguments (--flag VALUE or --flag=VALUE).
flag() {
  local i
  for ((i = 0; i < ${#args[@]}; i++)); do
    case "${args[i]}" in
      "$1") echo "${args[i+1]:-}"; return ;;
      "$1"=*) echo "${args[i]#*=}"; return ;;
    esac
  done
}

case "${1:-}" in
  http://*) check_http "$1"; exit 0 ;;
  tcp://*) check_tcp "${1#tcp://}"; exit 0 ;;
  '') ;;
  *) fail "unknown check $1 (http://HOST:PORT/PATH or tcp://HOST:PORT)" ;;
esac

mapfile -d '' args < "/proc/${TESSERA_HEALTH_PID:-1}/cmdline" || fail "cannot read the command line of PID ${TESSERA_HEALTH_PID:-1}"
role=""
for a in "${args[@]}"; do
  case "$a" in server|meta|storage|gateway|worker|admin) role=$a; break ;; esac
done
case "$role" in
  gateway|server)
    addr=$(flag --admin-addr); addr=${addr:-${TESSERA_ADMIN_ADDR:-127.0.0.1:9100}}
    check_http "http://$addr/ready" ;;
  meta) addr=$(flag --addr); check_tcp "${addr:-127.0.0.1:7100}" ;;
  storage) addr=$(flag --addr); check_tcp "${addr:-127.0.0.1:7200}" ;;
  *) ;;
esac
exit 0
