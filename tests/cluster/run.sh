#!/usr/bin/env bash
# The cluster tests (make test-cluster): pytest in a virtualenv of pinned
# packages (tests/cluster/requirements.txt) against the compose cluster,
# which the tests bring up and down themselves. Arguments go to pytest.
#
# The images must exist (make test-cluster builds them). The whole run is
# bounded by TESSERA_CLUSTER_TEST_TIMEOUT seconds (default 1200); whatever
# happens, the test project's containers, network and volumes are removed
# at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=../../deploy/venv.sh
. "$root/deploy/venv.sh"
deploy_venv "$here/requirements.txt" cluster-venv

export TESSERA_COMPOSE_PROJECT=${TESSERA_COMPOSE_PROJECT:-tessera-cluster-test}
rc=1
cleanup() {
  # The tests' own finalizer removes the cluster; this is for a killed run
  # (unless TESSERA_CLUSTER_KEEP=1 asked to keep a failed run's cluster).
  if [ "${TESSERA_CLUSTER_KEEP:-}" = 1 ] && [ "$rc" != 0 ]; then return; fi
  bash "$root/deploy/compose/cluster.sh" down > /dev/null 2>&1 || true
}
trap cleanup EXIT
cd "$here"
timeout --signal=TERM --kill-after=30 "${TESSERA_CLUSTER_TEST_TIMEOUT:-1200}" \
  "$PY" -m pytest -p no:cacheprovider "$@" && rc=0 || rc=$?
exit "$rc"
