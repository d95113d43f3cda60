#!/usr/bin/env bash
# The README's first Quick start command: installs what farm needs, builds
# it, makes a small busybox base image (there is no Docker Hub here) and
# loads it, builds examples/web-app with the embedded farm, lists the
# images, runs the image detached with its port 80 published on 8080,
# fetches the page, and stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
# A progress line every 10 s at most: a first build compiles for minutes.
bazel build --show_progress_rate_limit=10 \
  //client:farm //scheduler:farm-scheduler //worker:farm-worker
bin="$(bazel info bazel-bin 2>/dev/null)"
farm="$bin/client/farm"
root="${FARM_ROOT:-/var/lib/farm}"

echo "== base image: busybox:latest (tests/fixtures/make_busybox_image.sh)"
tests/fixtures/make_busybox_image.sh /tmp/farm-busybox.tar
"$farm" --root "$root" load -i /tmp/farm-busybox.tar

echo "== farm build -t webapp:1.0 examples/web-app"
"$farm" --root "$root" build --progress plain -t webapp:1.0 examples/web-app

echo "== farm images"
"$farm" --root "$root" images

echo "== farm run -d -p 8080:80 webapp:1.0, then fetch the page"
# A container left by an earlier run of this script would hold the port.
"$farm" --root "$root" rm -f webapp >/dev/null 2>&1 || true
"$farm" --root "$root" run -d -p 8080:80 --name webapp webapp:1.0
trap '"$farm" --root "$root" rm -f webapp >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1 50); do
  if page=$(curl -fsS http://127.0.0.1:8080/ 2>/dev/null); then break; fi
  sleep 0.2
done
echo "$page"
grep -q "<h1>Hello Docker!</h1>" <<<"$page"
"$farm" --root "$root" ps
echo "== farm stop webapp"
"$farm" --root "$root" stop webapp
echo "== the page was served by the image farm built"
