# shellcheck shell=bash
# Sourced by the deployment checks: a virtualenv with deploy/requirements.txt,
# made once under ~/.cache/tessera and reused while the requirements are the same.
# Sets PY to its python. Fails loudly when the packages cannot be installed.

deploy_venv() {
  local req venv stamp want
  req=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/requirements.txt
  venv=${TESSERA_DEPLOY_VENV:-$HOME/.cache/tessera/helm-venv}
  stamp=$venv/.requirements.sha256
  want=$(sha256sum "$req" | cut -d' ' -f1)
  if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2> /dev/null; then
    echo "deploy checks: Python 3.11 or newer is needed (python3 is $(python3 --version 2>&1))" >&2
    return 1
  fi
  if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2> /dev/null)" != "$want" ]; then
    echo "deploy checks: installing $(grep -c '^[^#]' "$req") pinned packages into $venv" >&2
    rm -rf "$venv"
    if ! python3 -m venv "$venv" \
      || ! "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"; then
      rm -rf "$venv"
      echo "deploy checks: FAILED to install the Python packages of $req (helm-python-sdk," >&2
      echo "kubernetes-validate, pytest). Is the package index reachable? Nothing was checked." >&2
      return 1
    fi
    echo "$want" > "$stamp"
  fi
  PY=$venv/bin/python
}
