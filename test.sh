#!/usr/bin/env bash
# Installs opsbot, makes sure the services its tests use are up, and runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")"
./install.sh
# The storage tests run against SQLite and the machine's PostgreSQL (127.0.0.1:5432, trust).
if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
# The real-backend tests run Debian's Prometheus and Alertmanager binaries.
scripts/install-monitoring.sh
if [ "$#" -gt 0 ]; then
  exec .venv/bin/python -m pytest "$@"
fi
# The whole suite on both cores. --dist loadfile keeps a module on one worker, so its
# module-scoped fixtures (an embedded corpus, a pip-installed plugin, a Prometheus) are built
# once, not once per worker. (--dist loadgroup would do it across modules, but pytest-xdist
# 3.8 groups nothing under pytest 9: it renames item._nodeid, which pytest 9 no longer reads.)
# The tests that stop and restart the machine's PostgreSQL run afterwards on their own, so
# no other test sees the outage; that run collects only the files carrying the marker
# (collecting every test module costs ~12 s of imports). --no-loadscope-reorder hands the
# modules out in collection order, which puts those with a `slow` test first (conftest.py):
# xdist's own order, most tests first, ran them last on one worker while the other idled.
.venv/bin/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder -m "not pg_restart"
# Types (assistant/ and tools/, configuration in pyproject.toml) are checked meanwhile: the
# outage tests mostly wait for PostgreSQL to stop and start, so mypy's ~15 s of CPU fits
# beside them instead of adding to the run. Either failing fails the command.
mypy_log=$(mktemp)
trap 'rm -f "$mypy_log"' EXIT
.venv/bin/mypy >"$mypy_log" 2>&1 &
mypy_pid=$!
mapfile -t outage_files < <(grep -l "pytest.mark.pg_restart" tests/test_*.py)
outage_status=0
.venv/bin/python -m pytest -m pg_restart "${outage_files[@]}" || outage_status=$?
mypy_status=0
wait "$mypy_pid" || mypy_status=$?
cat "$mypy_log"
[ "$mypy_status" -eq 0 ] || exit "$mypy_status"
exit "$outage_status"
