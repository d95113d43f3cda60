# Sourced by the network tests: `checks_init NAME FARM` sets $farm, $work (a
# temp dir removed at exit, after the root's local farm server is stopped),
# $root and $failures; `check NAME COMMAND...`
# (the CLI tests' own) runs a check and counts a failure; `file_in IMAGE
# PATH` prints a file of an image.
source "$(dirname "${BASH_SOURCE[0]}")/../cli/cli_checks.sh"
checks_init() {
  farm="$(realpath "$2")"
  work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/$1.XXXXXX")"
  trap 'kill $(jobs -p) 2>/dev/null
        "$farm" --root "$root" server stop 2>/dev/null; rm -rf "$work"' EXIT
  root="$work/root"
  failures=0
}
file_in() {
  "$farm" --root "$root" run --rm "$1" cat "$2"
}
