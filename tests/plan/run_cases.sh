#!/usr/bin/env bash
# Runs `farm plan --format json` over every case in cases/: each holds a
# Dockerfile, optional `args` (extra flags, one line), and either
# expected.json (stdout, exit 0) or expected_error (stderr line, exit 1).
set -uo pipefail

farm="$1"
cases_dir="$(dirname "$0")/cases"
passed=0
failed=0
for case_dir in "$cases_dir"/*/; do
  name=$(basename "$case_dir")
  args=()
  if [[ -f "$case_dir/args" ]]; then read -r -a args <"$case_dir/args"; fi
  out=$(mktemp)
  err=$(mktemp)
  "$farm" plan --format json "${args[@]}" "$case_dir" >"$out" 2>"$err"
  status=$?
  ok=1
  if [[ -f "$case_dir/expected.json" ]]; then
    if ((status != 0)) || ! diff -u "$case_dir/expected.json" "$out"; then
      ok=0
    fi
  else
    want=$(cat "$case_dir/expected_error")
    if ((status != 1)) || ! grep -qxF -- "$want" "$err"; then
      ok=0
      echo "want exit 1 and stderr line: $want"
    fi
  fi
  if ((ok)); then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL $name (exit $status)"
    sed 's/^/  stderr: /' "$err"
  fi
  rm -f "$out" "$err"
done
echo "plan cases: $passed passed, $failed failed"
((failed == 0))
