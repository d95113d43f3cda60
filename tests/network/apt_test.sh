#!/usr/bin/env bash
# RUN reaches the Internet through its private network: an embedded
# `farm build` of FROM debian:12-slim + `apt-get update && apt-get install`
# against Debian's mirror. The base comes from mmdebstrap, cached under
# $FARM_TEST_CACHE (default /var/cache/farm-test). Skips, saying so, only when
# the host itself cannot reach the mirror ($FARM_TEST_DEBIAN_MIRROR, default
# Debian's).
#   apt_test.sh FARM MAKE_DEBIAN_IMAGE
set -uo pipefail
source "$(dirname "$0")/checks.sh"
checks_init apt "$1"
make_image="$(realpath "$2")"
mirror=${FARM_TEST_DEBIAN_MIRROR:-http://deb.debian.org/debian}

if ! curl -fsS -m 20 -o /dev/null "$mirror/dists/bookworm/InRelease"; then
  echo "SKIPPED: Debian's mirror ($mirror) is unreachable from this host," \
    "so RUN cannot be expected to reach it either"
  exit 0
fi

python3 "$make_image" --mirror "$mirror" "$work/debian.tar" || exit 1
"$farm" --root "$root" load -i "$work/debian.tar" >/dev/null || exit 1
rm "$work/debian.tar"

mkdir "$work/ctx"
cat >"$work/ctx/Dockerfile" <<'DOCKERFILE'
FROM debian:12-slim
RUN ls /sys/class/net > /interfaces && cat /etc/resolv.conf > /resolv \
 && apt-get update && apt-get install -y --no-install-recommends less \
 && dpkg-query -W -f '${Status}' less > /less-status
DOCKERFILE
start=$SECONDS
check "apt-get update && apt-get install in RUN builds" \
  bash -c "'$farm' --root '$root' build -t apt:1 '$work/ctx' >'$work/build.log' 2>&1 || { tail -30 '$work/build.log'; false; }"
echo "     (the build took $((SECONDS - start)) s)"
check "the package is installed" \
  test "$(file_in apt:1 /less-status)" = "install ok installed"
check "the RUN had the private network (lo and tap0)" \
  test "$(file_in apt:1 /interfaces | tr '\n' ' ')" = "lo tap0 "
check "its resolv.conf has the host's reachable nameservers" bash -c \
  "diff <(grep -v -E '^nameserver (127\.|::1)' /etc/resolv.conf) <('$farm' --root '$root' run --rm apt:1 cat /resolv) >/dev/null || grep -q '^nameserver 10.0.2.3$' <('$farm' --root '$root' run --rm apt:1 cat /resolv)"

echo "apt: $failures failures"
((failures == 0))
