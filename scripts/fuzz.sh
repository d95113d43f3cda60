#!/usr/bin/env bash
# Fuzzes the Dockerfile parser for SECONDS (default 60) with libFuzzer and
# AddressSanitizer/UBSan (clang-14, outside Bazel), seeded with the parser
# corpus in tests/dockerfile/cases. Prints the number of executions; exits
# non-zero on any crash. Build products and findings go to $FUZZ_DIR
# (default /tmp/farm-fuzz).
set -euo pipefail

seconds="${1:-60}"
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${FUZZ_DIR:-/tmp/farm-fuzz}"
mkdir -p "$out/obj" "$out/corpus" "$out/artifacts"

# Link against Debian's Abseil, as shared libraries (the fuzzer does not
# need the Bazel build's static link).
absl_libs=$(pkg-config --libs absl_status absl_statusor absl_strings \
  absl_str_format absl_synchronization absl_time absl_flat_hash_map \
  absl_flat_hash_set absl_node_hash_map absl_btree absl_cord absl_hash)

srcs=(
  arg_parsers ast_dump builder_flags directives dockerfile duration expand
  format heredoc instruction_parser instructions json_array line_reader lint
  mount parser suggest text validate shell_lexer shell_lexer_pattern glob
)
flags=(-std=c++17 -O1 -g -fsanitize=fuzzer-no-link,address,undefined
       -fno-sanitize-recover=all -I"$root")
objs=()
for src in "${srcs[@]}"; do
  obj="$out/obj/$src.o"
  if [[ ! -f "$obj" || "$root/dockerfile/$src.cc" -nt "$obj" ]]; then
    clang++-14 "${flags[@]}" -c "$root/dockerfile/$src.cc" -o "$obj"
  fi
  objs+=("$obj")
done
clang++-14 "${flags[@]}" -fsanitize=fuzzer "$root/dockerfile/parser_fuzz.cc" \
  "${objs[@]}" $absl_libs -o "$out/parser_fuzz"

for case_dir in "$root"/tests/dockerfile/cases/*/; do
  cp "$case_dir/Dockerfile" "$out/corpus/seed_$(basename "$case_dir")"
done

cd "$out"
set +e
./parser_fuzz -max_total_time="$seconds" -max_len=8192 -timeout=10 \
  -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/artifacts/" \
  "$out/corpus" >"$out/fuzz.log" 2>&1
status=$?
set -e
execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/fuzz.log" |
  grep -o '[0-9]*$' || true)
echo "parser_fuzz: ${execs:-0} executions in ${seconds}s (log: $out/fuzz.log)"
if [[ $status -ne 0 ]]; then
  echo "parser_fuzz: FAILED with status $status" >&2
  grep -E 'ERROR|SUMMARY|artifact' "$out/fuzz.log" >&2 || true
  exit 1
fi
