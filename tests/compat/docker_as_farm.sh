#!/usr/bin/env bash
# Stands in for the farm binary with Docker doing the work, so that
# run_compat.sh itself can be checked where dockerd runs:
#   DOCKER_HOST=... tests/compat/run_compat.sh tests/compat/docker_as_farm.sh
# must pass every case. Covers only what run_compat.sh calls: load -i FILE,
# build [args] -t REF --output type=docker,dest=FILE CONTEXT, inspect REF.
# Docker's image store is shared: remove stale compat/* tags first.
set -euo pipefail

docker=${DOCKER:-/usr/bin/docker}
if [[ ${1:-} == --root ]]; then shift 2; fi
command=${1:?usage: docker_as_farm.sh [--root DIR] load|build|inspect ...}
shift
case "$command" in
  load)
    [[ $1 == -i ]] || { echo "load: want -i FILE" >&2; exit 2; }
    "$docker" load -i "$2" >/dev/null
    ;;
  inspect)
    "$docker" image inspect "$1" >/dev/null
    ;;
  build)
    args=()
    tag=""
    dest=""
    while (($# > 1)); do
      case "$1" in
        -t) tag=$2; shift 2 ;;
        --output) dest=${2#*dest=}; shift 2 ;;
        *) args+=("$1"); shift ;;
      esac
    done
    DOCKER_BUILDKIT=1 "$docker" build --no-cache --network=none -q \
      "${args[@]}" -t "$tag" "$1" >/dev/null
    "$docker" save -o "$dest" "$tag"
    ;;
  *)
    echo "docker_as_farm: unknown command $command" >&2
    exit 2
    ;;
esac
