#!/usr/bin/env bash
# Creates the virtualenv `.venv/` at the repository root with the Python tools some tests run (pinned in
# `.ci/requirements-*.txt`, one file per area). Idempotent: pip skips what is installed. Tests that need a tool look for
# it in `.venv/bin/` and fail, naming this script, when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
reqs=(.ci/requirements-*.txt)
if [ ${#reqs[@]} -eq 0 ]; then
  exit 0
fi
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
args=()
for r in "${reqs[@]}"; do args+=(-r "$r"); done
.venv/bin/pip install --quiet --disable-pip-version-check "${args[@]}"
