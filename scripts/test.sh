#!/usr/bin/env bash
# Runs farm's whole test suite: every Bazel test, then the checks that live
# outside Bazel. Ends with one summary line; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT
failed_steps=()

echo "== bazel test //..."
bazel test //... 2>&1 | tee "$log"
bazel_status=${PIPESTATUS[0]}
((bazel_status == 0)) || failed_steps+=("bazel")
bazel_line=$(grep -E '^Executed [0-9]+ out of [0-9]+ tests?' "$log" | tail -1)

echo "== fuzz smoke (scripts/fuzz.sh 30)"
if ./scripts/fuzz.sh 30; then fuzz_result="fuzz ok"; else
  fuzz_result="fuzz FAILED"
  failed_steps+=("fuzz")
fi

if ((${#failed_steps[@]} == 0)); then
  echo "SUMMARY: PASS: ${bazel_line:-no bazel summary}; ${fuzz_result}"
  exit 0
fi
echo "SUMMARY: FAIL (${failed_steps[*]}): ${bazel_line:-no bazel summary}; ${fuzz_result}"
exit 1
