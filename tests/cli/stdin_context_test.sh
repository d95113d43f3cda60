#!/usr/bin/env bash
# `farm build -` on a real embedded farm: a Dockerfile on standard input, a
# compressed context archive with -f inside it, and a hostile archive; and
# --iidfile.
set -uo pipefail
source "$(dirname "$0")/cli_checks.sh"
cli_checks_init stdin-context "$1" "$2"
file_in() {  # file_in IMAGE PATH: prints PATH from the image's filesystem
  "$farm" --root "$root" run --rm "$1" cat "$2"
}

"$make_image" "$work/busybox.tar"
"$farm" --root "$root" load -i "$work/busybox.tar" >/dev/null

printf 'FROM busybox:latest\nRUN echo from-stdin > /made\n' >"$work/Dockerfile"
check "a Dockerfile on stdin builds" \
  bash -c "'$farm' --root '$root' build -q -t stdin:1 - <'$work/Dockerfile' >/dev/null"
check "its RUN ran" test "$(file_in stdin:1 /made)" = from-stdin
check "--iidfile holds the image id" bash -c \
  "'$farm' --root '$root' build -q --iidfile '$work/iid' -t stdin:1 - <'$work/Dockerfile' >'$work/id.out' && test \"\$(cat '$work/iid')\" = \"\$(cat '$work/id.out')\""

mkdir -p "$work/ctx/sub"
echo data >"$work/ctx/sub/file.txt"
printf 'FROM busybox:latest\nCOPY . /ctx/\n' >"$work/ctx/Dockerfile"
printf 'FROM busybox:latest\nCOPY sub/file.txt /alt.txt\n' >"$work/ctx/alt.Dockerfile"
tar -C "$work/ctx" -czf "$work/ctx.tgz" .
check "a gzip context archive builds" \
  bash -c "'$farm' --root '$root' build -q -t tar:1 - <'$work/ctx.tgz' >/dev/null"
check "its files were copied" test "$(file_in tar:1 /ctx/sub/file.txt)" = data
check "-f names a Dockerfile inside the archive" \
  bash -c "'$farm' --root '$root' build -q -f alt.Dockerfile -t tar:2 - <'$work/ctx.tgz' >/dev/null"
check "that Dockerfile was used" test "$(file_in tar:2 /alt.txt)" = data

python3 - "$work/evil.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    info = tarfile.TarInfo("../escape.txt")
    info.size = 1
    t.addfile(info, io.BytesIO(b"x"))
PY
check "a hostile archive fails, naming the member" bash -c \
  "! '$farm' --root '$root' build - <'$work/evil.tar' 2>'$work/err' && grep -q 'escape.txt' '$work/err'"
check "stdin cannot be both context and Dockerfile" bash -c \
  "! '$farm' --root '$root' build -f - - <'$work/ctx.tgz' 2>/dev/null"

echo "stdin context: $failures failures"
((failures == 0))
