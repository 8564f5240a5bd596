#!/usr/bin/env bash
# The light core: a fresh venv with `pip install .` alone (no extra) reviews the seed case to
# JSON. Rebuilds the venv each run (idempotent); pip's cache keeps later runs fast.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
VENV="${OPENIMR_CORE_VENV:-${TMPDIR:-/tmp}/openimr-core-venv}"
SEED="${1:-${OPENIMR_SHARED:-../shared}/examples/seed-case}"
start=$SECONDS
rm -rf "$VENV"
"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
"$VENV/bin/python" -m pip install -q .
installed=$((SECONDS - start))
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
"$VENV/bin/openimr" review "$SEED" --format json >"$out"
"$VENV/bin/python" -c 'import json, sys; r = json.load(open(sys.argv[1])); assert r["items"], r' "$out"
for extra in weasyprint fastapi sqlalchemy matplotlib; do
  if "$VENV/bin/python" -c "import $extra" 2>/dev/null; then
    echo "core install pulled in $extra (an extra's package)" >&2
    exit 1
  fi
done
echo "core install: pip install . in ${installed}s, review of the seed case to JSON ok;" \
  "$((SECONDS - start))s in all" >&2
