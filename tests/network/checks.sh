# Sourced by the network tests: `checks_init NAME FARM` sets $farm, $work (a
# temp dir removed at exit), $root and $failures; `check NAME COMMAND...`
# runs a check and counts a failure; `file_in IMAGE PATH` prints a file of an
# image.
checks_init() {
  farm="$(realpath "$2")"
  work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/$1.XXXXXX")"
  trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
  root="$work/root"
  failures=0
}
check() {
  local name="$1"
  shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; failures=$((failures + 1)); fi
}
file_in() {
  "$farm" --root "$root" run --rm "$1" cat "$2"
}
