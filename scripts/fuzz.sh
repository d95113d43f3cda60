#!/usr/bin/env bash
# Fuzzes farm's parsers with libFuzzer and AddressSanitizer/UBSan (clang-14,
# outside Bazel): the Dockerfile parser for SECONDS (default 60), seeded with
# the parser corpus in tests/dockerfile/cases, then the auth fuzzers (the
# --tokens file parser, and bearer tokens with the Authenticator) for
# FUZZ_AUTH_SECONDS each (default SECONDS/2, at least 10). Prints one line of
# executions per fuzzer; exits non-zero if any fuzzer crashed. Build
# products and findings go to $FUZZ_DIR (default /tmp/farm-fuzz).
set -euo pipefail

seconds="${1:-60}"
auth_seconds="${FUZZ_AUTH_SECONDS:-$((seconds / 2))}"
((auth_seconds >= 10)) || auth_seconds=10
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${FUZZ_DIR:-/tmp/farm-fuzz}"
mkdir -p "$out/obj" "$out/corpus" "$out/artifacts" "$out/corpus_token_table" \
  "$out/corpus_bearer"

# Link against Debian's Abseil, as shared libraries (the fuzzer does not
# need the Bazel build's static link).
absl_libs=$(pkg-config --libs absl_status absl_statusor absl_strings \
  absl_str_format absl_synchronization absl_time absl_flat_hash_map \
  absl_flat_hash_set absl_node_hash_map absl_btree absl_cord absl_hash)

flags=(-std=c++17 -O1 -g -fsanitize=fuzzer-no-link,address,undefined
       -fno-sanitize-recover=all -I"$root")

# compile DIR NAME...: DIR/NAME.cc → $out/obj/DIR_NAME.o (rebuilt when the
# .cc or its .h is newer); appends the objects to objs.
compile() {
  local dir="$1" src obj
  shift
  for src in "$@"; do
    obj="$out/obj/${dir//\//_}_$src.o"
    if [[ ! -f "$obj" || "$root/$dir/$src.cc" -nt "$obj" ||
          "$root/$dir/$src.h" -nt "$obj" ]]; then
      clang++-14 "${flags[@]}" -c "$root/$dir/$src.cc" -o "$obj"
    fi
    objs+=("$obj")
  done
}

objs=()
compile dockerfile \
  arg_parsers ast_dump builder_flags directives dockerfile duration expand \
  format heredoc instruction_parser instructions json_array line_reader lint \
  mount parser suggest text validate shell_lexer shell_lexer_pattern glob
clang++-14 "${flags[@]}" -fsanitize=fuzzer "$root/dockerfile/parser_fuzz.cc" \
  "${objs[@]}" $absl_libs -o "$out/parser_fuzz"

objs=()
compile common fs logging
compile auth identity token_format token_table token_file bearer \
  certificate_identity authenticator
for fuzzer in token_table_fuzz bearer_fuzz; do
  clang++-14 "${flags[@]}" -fsanitize=fuzzer "$root/auth/$fuzzer.cc" \
    "${objs[@]}" $absl_libs -lcrypto -o "$out/$fuzzer"
done

# Seeds: the Dockerfile corpus; small token files; calls that carry a good
# token, a bad one, or a client certificate (made here with openssl).
for case_dir in "$root"/tests/dockerfile/cases/*/; do
  cp "$case_dir/Dockerfile" "$out/corpus/seed_$(basename "$case_dir")"
done
printf '# farm tokens\nclient-token-0123456789 team-b client\r\n\n  worker-token-0123456789\tpool\tworker\n' \
  >"$out/corpus_token_table/seed_good"
printf 'client-token-0123456789 team-b admin\nclient-token-0123456789 ../x root\nshort a b\n' \
  >"$out/corpus_token_table/seed_bad"
printf 'Bearer client-token-0123456789' >"$out/corpus_bearer/seed_client"
printf 'bearer   admin-token-0123456789abcd\nBearer x\n\n' \
  >"$out/corpus_bearer/seed_two"
if [[ ! -f "$out/corpus_bearer/seed_certificate" ]]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout /dev/null -days 1 -subj '/CN=team-a/OU=worker/OU=admin' \
    -out "$out/client.pem" 2>/dev/null
  { printf '\n\n'; cat "$out/client.pem"; } >"$out/corpus_bearer/seed_certificate"
fi
printf '%s\n' '"client-token-0123456789"' '"admin-token-0123456789abcd"' \
  '"Bearer "' '"client"' '"worker"' '"admin"' '"\x0a\x0a"' \
  '"-----BEGIN CERTIFICATE-----"' >"$out/auth.dict"

failed=0
# run NAME SECONDS CORPUS [FLAG...]: runs $out/NAME and reports.
run() {
  local name="$1" time="$2" corpus="$3" status execs
  shift 3
  set +e
  (cd "$out" && "./$name" -max_total_time="$time" -max_len=8192 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$out/artifacts/$name-" "$@" "$corpus" \
    >"$out/$name.log" 2>&1)
  status=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/$name.log" |
    grep -o '[0-9]*$' || true)
  echo "$name: ${execs:-0} executions in ${time}s (log: $out/$name.log)"
  if [[ $status -ne 0 ]]; then
    echo "$name: FAILED with status $status" >&2
    grep -E 'ERROR|SUMMARY|artifact|_fuzz: ' "$out/$name.log" >&2 || true
    failed=1
  fi
}

run parser_fuzz "$seconds" "$out/corpus"
run token_table_fuzz "$auth_seconds" "$out/corpus_token_table" \
  -dict="$out/auth.dict"
run bearer_fuzz "$auth_seconds" "$out/corpus_bearer" -dict="$out/auth.dict"
exit "$failed"
