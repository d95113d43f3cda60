#!/usr/bin/env bash
# Runs farm's whole test suite: every Bazel test (unit tests, the parser
# corpus, the Docker compatibility corpus, the distributed cluster, the
# registry, the CLI, security and the helm chart), then a short fuzz run of
# the Dockerfile parser and the token and authorization parsers.
# Ends with one summary line; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh || { echo "SUMMARY: FAIL: setup.sh failed"; exit 1; }

log=$(mktemp)
trap 'rm -f "$log"' EXIT
failed=()

# Mount points under Bazel's output base (the overlays or network
# namespaces of a test process killed mid-run) make Bazel refuse to build
# there again ("Source forest creation failed"). Lists them, deepest first.
mounts_under_output_base() {
  local base
  base=$(bazel info output_base 2>/dev/null) || return 0
  awk -v base="$base/" 'index($5, base) == 1 { print $5 }' /proc/self/mountinfo |
    sort -r
}
for mount in $(mounts_under_output_base); do umount -l "$mount"; done

echo "== bazel test //..."
start=$(date +%s)
# -O1 rather than .bazelrc's -O2: the same code, compiled about a fifth
# faster on CI's two cores; benchmarks keep -O2.
bazel test //... --build_tests_only --copt=-O1 2>&1 | tee "$log"
((PIPESTATUS[0] == 0)) || failed+=("bazel")
bazel_line=$(grep -E '^Executed [0-9]+ out of [0-9]+ tests?' "$log" | tail -1)
bazel_seconds=$(($(date +%s) - start))
leaked=$(mounts_under_output_base)
if [[ -n "$leaked" ]]; then
  echo "test.sh: the tests left these mounts behind:"
  echo "$leaked"
  failed+=("leaked-mounts")
  for mount in $leaked; do umount -l "$mount"; done
fi

echo "== fuzz smoke (scripts/fuzz.sh 20: parser 20 s, each auth parser 10 s)"
if ./scripts/fuzz.sh 20; then fuzz="fuzz ok"; else
  fuzz="fuzz FAILED"
  failed+=("fuzz")
fi

detail="${bazel_line:-no bazel summary} (${bazel_seconds}s); ${fuzz}"
if ((${#failed[@]} == 0)); then
  echo "SUMMARY: PASS: ${detail}"
  exit 0
fi
echo "SUMMARY: FAIL (${failed[*]}): ${detail}"
exit 1
