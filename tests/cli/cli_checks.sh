# Sourced by the CLI tests: `cli_checks_init NAME FARM MAKE_IMAGE` sets
# $farm, $make_image, $work (a temp dir removed at exit, after the root's
# local farm server is stopped), $root and $failures; `check NAME
# COMMAND...` runs a check and counts a failure.
cli_checks_init() {
  farm="$(realpath "$2")"
  make_image="$(realpath "$3")"
  work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/$1.XXXXXX")"
  trap '"$farm" --root "$root" server stop 2>/dev/null; rm -rf "$work"' EXIT
  root="$work/root"
  failures=0
}
check() {
  local name="$1"
  shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; failures=$((failures + 1)); fi
}
contains() { grep -qF -- "$2" <<<"$1"; }
