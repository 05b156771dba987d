#!/usr/bin/env bash
# Lints, renders and validates the Helm chart offline (deploy/helm/test_chart.py),
# in a virtualenv of pinned packages. Arguments go to pytest.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../venv.sh
. "$here/../venv.sh"
deploy_venv
cd "$here"
exec "$PY" -m pytest -q -p no:cacheprovider test_chart.py "$@"
