#!/usr/bin/env bash
# Runs the whole test suite. Uses cargo-nextest when it is installed (per-test
# timeouts from .config/nextest.toml), cargo test otherwise; either way the run
# is bounded by TESSERA_TEST_TIMEOUT seconds (default 3600).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${CARGO_TARGET_DIR:=$HOME/.cache/tessera/target}"
export CARGO_TARGET_DIR
limit=${TESSERA_TEST_TIMEOUT:-3600}

if cargo nextest --version >/dev/null 2>&1; then
  timeout --signal=TERM --kill-after=30 "$limit" \
    cargo nextest run --workspace --locked --profile ci
else
  timeout --signal=TERM --kill-after=30 "$limit" \
    cargo test --workspace --locked
fi
