#!/usr/bin/env bash
# Checks the compose cluster's files, the Dockerfiles and the images'
# healthcheck (deploy/test_deploy.py); with a Docker engine, also builds the
# images offline with a stand-in binary. Arguments go to pytest.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=venv.sh
. "$here/venv.sh"
deploy_venv
cd "$here"
exec "$PY" -m pytest -q -p no:cacheprovider test_deploy.py "$@"
