#!/usr/bin/env bash
# Installs what the project needs to build on a fresh machine: uv (from PyPI), then the
# locked workspace into .venv. Idempotent and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.9
export UV_PYTHON_DOWNLOADS=never   # only registries are reachable: use this machine's Python

python_bin=$(command -v python3 || true)
if [ -z "$python_bin" ]; then
  echo "[bootstrap] installing python3 from Debian" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv python3-pip
  python_bin=$(command -v python3)
fi

if ! command -v uv >/dev/null 2>&1 || [ "$(uv --version | awk '{print $2}')" != "$UV_VERSION" ]; then
  if [ ! -x .cache/uv/bin/uv ]; then
    echo "[bootstrap] installing uv $UV_VERSION from PyPI into .cache/uv" >&2
    "$python_bin" -m pip install -q --disable-pip-version-check --target .cache/uv/lib "uv==$UV_VERSION"
    mkdir -p .cache/uv/bin && ln -sf ../lib/bin/uv .cache/uv/bin/uv
  fi
  export PATH="$PWD/.cache/uv/bin:$PATH"
fi

uv sync --frozen --all-packages --python "$python_bin" -q
# Bytecode written once, here: with PYTHONDONTWRITEBYTECODE set (as on these machines) every
# service process a test starts would otherwise compile every module it imports from source,
# seconds of CPU per start. compileall skips files whose .pyc is current, so a rerun is quick.
.venv/bin/python -m compileall -q .venv/lib libs services tools bench tests >/dev/null || true
echo "[bootstrap] .venv ready ($(.venv/bin/python --version))" >&2
