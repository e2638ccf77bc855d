#!/usr/bin/env bash
# Builds the Python base image the Dockerfile starts from, out of Debian's own packages,
# for hosts that cannot pull one from a registry: mmdebstrap makes a minimal bookworm root
# file system (python3, its venv module, CA certificates, useradd) and podman imports it.
#
#   scripts/build-base-image.sh [IMAGE]      # default localhost/opsbot-base:bookworm
#
# Needs root (or mmdebstrap's unshare mode), mmdebstrap and podman
# (apt-get install mmdebstrap podman). Debian's python3 in bookworm is 3.11, the version
# opsbot is tested with. Rebuilding gives the current security updates.
set -euo pipefail

IMAGE=${1:-localhost/opsbot-base:bookworm}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

for tool in mmdebstrap podman; do
  command -v "$tool" >/dev/null || { echo "build-base-image.sh: $tool is missing" \
    "(apt-get install mmdebstrap podman)" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Documentation, manuals and translations are dropped as dpkg unpacks them: nothing in a
# server image reads them, and they are a fifth of the root file system. Mirrors that
# serve snapshots have Release files past their Valid-Until date, hence the two checks off.
mmdebstrap --variant=minbase \
  --include=python3,python3-venv,ca-certificates,passwd \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --aptopt='Acquire::Check-Valid-Until "false"' \
  --aptopt='Acquire::Check-Date "false"' \
  bookworm "$work/rootfs.tar" \
  "deb $MIRROR bookworm main" \
  "deb $MIRROR bookworm-updates main" \
  "deb $SECURITY bookworm-security main"

podman import \
  --change 'CMD ["python3"]' \
  --change 'ENV LANG=C.UTF-8' \
  "$work/rootfs.tar" "$IMAGE" >/dev/null
echo "$IMAGE"
