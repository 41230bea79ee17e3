#!/usr/bin/env bash
# The benchmark peers' venv (.cache/bench-peers): Temporal's SDK and dev server, DBOS
# Transact, and what their thin HTTP fronts need, pinned in bench/peers/requirements.txt,
# plus libs/shared (editable) for Cascade's own NetSuite client. Kept apart from .venv so
# nothing of it reaches the product's uv.lock. Idempotent: a stamp of the requirements
# skips the install when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

export UV_PYTHON_DOWNLOADS=never   # only registries are reachable: use this machine's Python
venv=.cache/bench-peers
reqs=bench/peers/requirements.txt
stamp="$venv/.requirements.sha256"
want=$(cat "$reqs" libs/shared/pyproject.toml | sha256sum | cut -d' ' -f1)

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/python" ]; then
  exit 0
fi
# The project's uv: bootstrap.sh puts it in .cache/uv unless the one on PATH is that version.
[ -x .cache/uv/bin/uv ] || command -v uv >/dev/null 2>&1 || scripts/bootstrap.sh
uv=.cache/uv/bin/uv
[ -x "$uv" ] || uv=$(command -v uv)
[ -x "$venv/bin/python" ] || "$uv" venv -q --python 3.11 "$venv"
echo "[bench-peers] installing $reqs into $venv" >&2
"$uv" pip install -q --python "$venv/bin/python" -r "$reqs" -e libs/shared
echo "$want" > "$stamp"
echo "[bench-peers] $venv ready ($("$venv/bin/python" --version))" >&2
