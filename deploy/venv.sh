# shellcheck shell=bash
# Sourced by the deployment checks and the cluster tests: a virtualenv with
# the pinned packages of a requirements file, made once under ~/.cache/tessera
# and reused while the requirements are the same. Sets PY to its python.
# Fails loudly when the packages cannot be installed.
#
#   deploy_venv                    deploy/requirements.txt in helm-venv
#   deploy_venv REQUIREMENTS NAME  REQUIREMENTS in ~/.cache/tessera/NAME

deploy_venv() {
  local req venv stamp want
  req=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/requirements.txt}
  if [ -n "${2:-}" ]; then
    venv=$HOME/.cache/tessera/$2
  else
    venv=${TESSERA_DEPLOY_VENV:-$HOME/.cache/tessera/helm-venv}
  fi
  stamp=$venv/.requirements.sha256
  want=$(sha256sum "$req" | cut -d' ' -f1)
  if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2> /dev/null; then
    echo "venv: Python 3.11 or newer is needed (python3 is $(python3 --version 2>&1))" >&2
    return 1
  fi
  if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2> /dev/null)" != "$want" ]; then
    echo "venv: installing $(grep -c '^[^#]' "$req") pinned packages into $venv" >&2
    rm -rf "$venv"
    if ! python3 -m venv "$venv" \
      || ! "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"; then
      rm -rf "$venv"
      echo "venv: FAILED to install the Python packages of $req." >&2
      echo "Is the package index reachable? Nothing was checked." >&2
      return 1
    fi
    echo "$want" > "$stamp"
  fi
  PY=$venv/bin/python
}
