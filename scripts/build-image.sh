#!/usr/bin/env bash
# Builds opsbot's image with podman and checks it: runs as non-root, has no compiler,
# `opsbot --help` and an offline `opsbot demo` work inside it, and prints its size.
# Opt-in (minutes, and it needs PyPI): the test suite only checks the Dockerfile statically.
#
#   scripts/build-image.sh [IMAGE]           # default localhost/opsbot:dev
#
# BASE_IMAGE picks the base (see the Dockerfile); when it is unset the base is made from
# Debian's packages by scripts/build-base-image.sh unless localhost/opsbot-base:bookworm
# exists. PIP_CA_BUNDLE (default: the host's CA bundle) is handed to pip in the build, for
# networks that inspect TLS.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${1:-localhost/opsbot:dev}
LOCAL_BASE=localhost/opsbot-base:bookworm
CA_BUNDLE=${PIP_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

if [ -z "${BASE_IMAGE:-}" ]; then
  BASE_IMAGE=$LOCAL_BASE
  podman image exists "$BASE_IMAGE" || scripts/build-base-image.sh "$BASE_IMAGE"
fi

# A host that is itself a container (no CAP_SYS_RESOURCE) cannot raise rlimits to podman's
# defaults, and crun refuses hybrid cgroup hierarchies: ask for limits at or below the
# current ones, and use runc when it is installed.
run_opts=(--ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)" --ulimit "nproc=4096:4096")
if command -v runc >/dev/null; then
  run_opts+=(--runtime runc)
fi
secret=()
if [ -s "$CA_BUNDLE" ]; then
  secret=(--secret "id=pip-ca,src=$CA_BUNDLE")
fi

podman build "${run_opts[@]}" "${secret[@]}" --network host \
  --build-arg "BASE_IMAGE=$BASE_IMAGE" --tag "$IMAGE" .

# As in Kubernetes: no network, a read-only root, and a writable OPSBOT_HOME (an anonymous
# volume, which starts with the image's directory and its owner).
check() {
  podman run --rm "${run_opts[@]}" --network none --read-only --tmpfs /tmp \
    --volume /var/lib/opsbot "$@"
}
echo "== user: $(check --entrypoint id "$IMAGE" -u) (expected 10001)"
[ "$(check --entrypoint id "$IMAGE" -u)" = 10001 ]
echo "== compilers in the image: none expected"
if check --entrypoint sh "$IMAGE" -c \
    'for c in cc gcc g++ c++ clang make; do command -v $c; done' | grep .; then
  echo "build-image.sh: a compiler is in the final image" >&2
  exit 1
fi
echo "== opsbot --help"
check --entrypoint opsbot "$IMAGE" --help >/dev/null
check "$IMAGE" --help >/dev/null
echo "== opsbot demo (offline: --network none, read-only root file system)"
check --entrypoint opsbot "$IMAGE" demo
echo "== size"
podman image inspect --format '{{.Size}}' "$IMAGE" \
  | awk '{printf "%s: %.0f MB\n", "'"$IMAGE"'", $1 / 1e6}'
