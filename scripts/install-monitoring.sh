#!/usr/bin/env bash
# Installs Debian's Prometheus and Alertmanager, which the backend tests start on loopback.
# Idempotent: does nothing when both binaries are present. The packages' own services are
# not needed (tests run their own instances), so only the binaries matter here.
set -euo pipefail

have_all() {
  command -v prometheus >/dev/null && command -v promtool >/dev/null \
    && command -v prometheus-alertmanager >/dev/null
}

if have_all; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
# A fresh container has no package lists; refresh them only when the candidates are unknown.
if ! apt-cache show prometheus prometheus-alertmanager >/dev/null 2>&1; then
  $SUDO apt-get update -qq
fi
$SUDO apt-get install -y -qq --no-install-recommends prometheus prometheus-alertmanager >/dev/null

if ! have_all; then
  echo "install-monitoring.sh: prometheus, promtool or prometheus-alertmanager still missing" >&2
  exit 1
fi
