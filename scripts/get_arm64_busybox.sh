#!/usr/bin/env bash
# Prints the path of Debian's static busybox for arm64, fetching it once into
# a cache outside the checkout: the multi-platform tests make their arm64
# base image from it and run it through QEMU (scripts/setup.sh registers the
# emulators). Needs the arm64 architecture in dpkg, which setup.sh adds.
#   scripts/get_arm64_busybox.sh            -> /var/cache/farm-test/arm64/busybox
set -euo pipefail

cache=${FARM_TEST_CACHE:-/var/cache/farm-test}/arm64
out=$cache/busybox
if [[ -x $out ]]; then
  echo "$out"
  exit 0
fi
mkdir -p "$cache"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -q -o APT::Sandbox::User=root \
  busybox-static:arm64 >&2)
dpkg-deb -x "$work"/busybox-static_*_arm64.deb "$work/root"
install -m 0755 "$work/root/bin/busybox" "$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
