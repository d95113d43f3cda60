#!/usr/bin/env bash
# A build for a platform its base image was not made for fails as Docker's
# does, naming the platform the image has and the FROM line; the platform it
# has builds, and a stage pinned to the build platform resolves for that one.
set -uo pipefail
source "$(dirname "$0")/cli_checks.sh"
cli_checks_init platform "$1" "$2"

"$make_image" "$work/busybox.tar"
"$farm" --root "$root" load -i "$work/busybox.tar" >/dev/null

mkdir -p "$work/one" "$work/two"
printf 'FROM busybox:latest\nENV A=1\n' > "$work/one/Dockerfile"
printf 'FROM --platform=$BUILDPLATFORM busybox:latest AS tools\nENV B=1\nFROM busybox:latest\nCOPY --from=tools /bin/busybox /tool\n' \
  > "$work/two/Dockerfile"

build() { "$farm" --root "$root" build --progress plain "$@" 2>"$work/err" >"$work/out"; }
fails() { ! "$@"; }

check "arm64 from an amd64 base fails" fails build --platform linux/arm64 -t a:1 "$work/one"
check "the error names the image's platform" \
  contains "$(cat "$work/err")" 'base image "busybox:latest" is for linux/amd64 only, not linux/arm64'
check "the error names the FROM line" contains "$(cat "$work/err")" "Dockerfile:1"
check "no image was made" fails "$farm" --root "$root" inspect a:1
check "amd64 builds" build --platform linux/amd64 -t b:1 "$work/one"
check "no --platform builds for the host" build -t c:1 "$work/one"
check "the stage pinned to the build platform resolves, the other fails" \
  fails build --platform linux/arm64 -t d:1 "$work/two"
check "the error names line 3" contains "$(cat "$work/err")" "Dockerfile:3"

echo "platform checks: $failures failed"
((failures == 0))
