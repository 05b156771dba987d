#!/usr/bin/env bash
# Fails when a crate depends on a Tessera crate that is not below it in the
# layering of docs/design/architecture.md (dependencies point down only).
set -euo pipefail
cd "$(dirname "$0")/.."

# crate -> the internal crates it may depend on
declare -A allowed=(
  [types]=""
  [util]="types"
  [proto]="types"
  [erasure]="types"
  [s3-protocol]="types"
  [policy]=""
  [bench]=""
  [meta-client]="types proto"
  [storage-client]="types proto"
  [meta]="types proto util"
  [storage]="types proto erasure util storage-client"
  [engine]="types erasure meta-client storage-client util"
  [workers]="types engine meta-client util s3-protocol"
  [gateway]="types s3-protocol policy engine util"
  [cli]="types util proto meta meta-client storage storage-client gateway engine workers s3-protocol bench erasure"
  [test-harness]="*"
)

status=0
for dir in crates/*/; do
  crate=$(basename "$dir")
  ok=${allowed[$crate]-MISSING}
  if [ "$ok" = MISSING ]; then
    echo "deps-check: crate '$crate' is not in the layering table" >&2; status=1; continue
  fi
  [ "$ok" = "*" ] && continue
  # internal dependencies in [dependencies] (not dev-dependencies)
  deps=$(awk '/^\[dependencies\]/{on=1;next} /^\[/{on=0} on && /^tessera-/{sub(/\..*/,"",$1); sub(/^tessera-/,"",$1); print $1}' "$dir/Cargo.toml")
  for d in $deps; do
    if [[ " $ok " != *" $d "* ]]; then
      echo "deps-check: $crate must not depend on $d" >&2; status=1
    fi
  done
done
[ $status -eq 0 ] && echo "deps-check: all dependencies point down"
exit $status
