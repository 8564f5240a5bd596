#!/usr/bin/env bash
# Quick start: set up .venv (once) and review the seed example; the letter goes to letter.pdf.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/openimr ]; then
  "$PY" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e ".[pdf]"  # the core, and WeasyPrint for letter.pdf
  # an editable install leaves openimr's own modules uncompiled; where the environment sets
  # PYTHONDONTWRITEBYTECODE they would be compiled again in every run (about 0.3 s a review)
  .venv/bin/python -m compileall -q src >/dev/null || true
fi
SEED="${1:-../shared/examples/seed-case}"
.venv/bin/openimr review "$SEED" --letter letter.pdf
echo "letter written to letter.pdf" >&2
