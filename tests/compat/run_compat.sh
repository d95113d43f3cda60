#!/usr/bin/env bash
# Builds every compat case with farm and compares the image with what Docker
# built (cases/NAME/expected.json, recorded by record.sh):
#   tests/compat/run_compat.sh FARM_BINARY [CASE...]
# For each case: a fresh --root, `farm load` of the busybox fixture,
# `farm build [args] -t compat/NAME --output type=docker,dest=OUT.tar`, then
# flatten.py and compare.py. A case with docker_error.txt must instead fail:
# non-zero exit, no crash signal, a message on stderr, and no image tagged.
# Prints one line per case and a summary; exits non-zero on any failure.
# Set COMPAT_KEEP=1 to keep the work directory for a look afterwards, and
# COMPAT_EVERY=N to build every Nth case only.
#
# With COMPAT_REMOTE=tls the cases are built the way a shared farm builds
# them instead: one farm-scheduler over TLS with tokens and client
# certificates, one farm-worker with the worker token, and `farm --remote`
# as tenant team-a (COMPAT_SCHEDULER, COMPAT_WORKER and COMPAT_MAKE_PKI name
# the binaries and tests/security/make_pki.sh).
set -uo pipefail

farm=${1:?usage: run_compat.sh FARM_BINARY [CASE...]}
shift
farm=$(cd "$(dirname "$farm")" && pwd)/$(basename "$farm")
remote=${COMPAT_REMOTE:-}
# The real source folder, not Bazel's runfiles: case contexts hold symlinks,
# spaces and non-ASCII names that runfiles cannot carry.
compat=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
fixtures=$(cd "$compat/../fixtures" && pwd)
timeout_s=${COMPAT_TIMEOUT:-300}
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/farm-compat.XXXXXX")
if [[ -z "${COMPAT_KEEP:-}" ]]; then trap 'rm -rf "$work"' EXIT; fi

"$fixtures/make_busybox_image.sh" "$work/busybox.tar" || {
  echo "compat: cannot make the busybox fixture"
  exit 1
}

# Starts a scheduler and a worker over TLS with tokens; sets $address.
start_remote_farm() {
  local pki=$work/pki log=$work/scheduler.log port=""
  "${COMPAT_MAKE_PKI:?}" "$pki" || return 1
  "${COMPAT_SCHEDULER:?}" --listen 127.0.0.1:0 --root "$work/scheduler" \
    --tls-cert "$pki/server.pem" --tls-key "$pki/server.key" \
    --tls-client-ca "$pki/ca.pem" --tokens "$pki/tokens" \
    >"$work/scheduler.port" 2>"$log" &
  pids+=($!)
  for _ in $(seq 100); do
    port=$(sed -n 's/^listening on port \([0-9]*\)$/\1/p' "$work/scheduler.port")
    [[ -n "$port" ]] && break
    sleep 0.1
  done
  [[ -n "$port" ]] || { echo "compat: the scheduler did not start:"; cat "$log"; return 1; }
  address=127.0.0.1:$port
  "${COMPAT_WORKER:?}" --scheduler "$address" --root "$work/worker" --id compat \
    --slots 2 --tls-ca "$pki/ca.pem" --token-file "$pki/token-worker" \
    >"$work/worker.log" 2>&1 &
  pids+=($!)
  export FARM_TLS_CA=$pki/ca.pem
  FARM_TOKEN=$(cat "$pki/token-a")
  export FARM_TOKEN
}

pids=()
if [[ -n "$remote" ]]; then
  start_remote_farm || exit 1
  trap 'kill "${pids[@]}" 2>/dev/null; wait; [[ -n "${COMPAT_KEEP:-}" ]] || rm -rf "$work"' EXIT
fi

# Runs farm with a time limit against the case's farm (its own root, or the
# remote farm); output to the files named in $out/$err.
run_farm() {
  local where=(--root "$dir/root")
  if [[ -n "$remote" ]]; then where=(--remote "$address"); fi
  timeout --kill-after=10 "$timeout_s" "$farm" "${where[@]}" "$@" >"$out" 2>"$err"
}

# Prints the reason a case failed and returns 1, or returns 0.
check_case() {
  local case_dir=$1 name dir args=() status
  name=$(basename "$case_dir")
  dir="$work/$name"
  mkdir -p "$dir"
  out="$dir/stdout"
  err="$dir/stderr"
  if [[ -f "$case_dir/args" ]]; then read -r -a args <"$case_dir/args"; fi
  if ! "$compat/stage_case.sh" "$case_dir" "$dir/stage" >"$err" 2>&1; then
    echo "staging the context failed: $(tail -1 "$err")"
    return 1
  fi
  if ! run_farm load -i "$work/busybox.tar"; then
    echo "farm load of the busybox fixture failed: $(head -1 "$err")"
    return 1
  fi
  # From inside the context, as record.sh builds, for relative paths in args.
  (cd "$dir/stage/context" &&
    run_farm build "${args[@]}" -t "compat/$name" \
      --output "type=docker,dest=$dir/out.tar" "$dir/stage/context")
  status=$?
  if [[ -f "$case_dir/docker_error.txt" ]]; then
    if ((status == 0)); then
      echo "farm built it, but Docker fails with: $(cat "$case_dir/docker_error.txt")"
      return 1
    fi
    if ((status == 124 || status == 137)); then
      echo "farm timed out after ${timeout_s}s instead of failing"
      return 1
    fi
    if ((status > 128)); then
      echo "farm died of signal $((status - 128)) instead of failing cleanly"
      return 1
    fi
    if [[ ! -s "$err" ]]; then
      echo "farm failed (exit $status) with nothing on stderr"
      return 1
    fi
    if (out=/dev/null err=/dev/null run_farm inspect "compat/$name"); then
      echo "farm failed but still tagged compat/$name"
      return 1
    fi
    return 0
  fi
  if ((status != 0)); then
    echo "farm build failed (exit $status):"
    tail -5 "$err" | sed 's/^/    /'
    return 1
  fi
  if ! python3 "$compat/flatten.py" --base "$work/busybox.tar" \
    -o "$dir/actual.json" "$dir/out.tar" 2>"$err"; then
    echo "cannot flatten farm's output: $(tail -1 "$err")"
    return 1
  fi
  if ! python3 "$compat/compare.py" "$case_dir/expected.json" \
    "$dir/actual.json" >"$dir/diff"; then
    echo "differs from Docker (expected: Docker's, got: farm's):"
    sed 's/^/    /' "$dir/diff"
    return 1
  fi
  return 0
}

case_dirs=$("$compat/case_list.sh" "$@") || exit 2
mapfile -t cases <<<"$case_dirs"
# COMPAT_EVERY=N builds every Nth case of the corpus only (a sample).
# Under Bazel's test sharding, each shard then builds every Nth of those.
every=${COMPAT_EVERY:-1}
shards=${TEST_TOTAL_SHARDS:-1}
[[ -n "${TEST_TOTAL_SHARDS:-}" ]] && touch "${TEST_SHARD_STATUS_FILE:-/dev/null}"
mine=()
for i in "${!cases[@]}"; do
  ((i % every == 0)) || continue
  if (((i / every) % shards == ${TEST_SHARD_INDEX:-0})); then mine+=("${cases[$i]}"); fi
done
cases=("${mine[@]}")
passed=0
failed=0
for case_dir in "${cases[@]}"; do
  name=$(basename "$case_dir")
  if [[ ! -f "$case_dir/expected.json" && ! -f "$case_dir/docker_error.txt" ]]; then
    echo "FAIL $name: not recorded (run tests/compat/record.sh $name)"
    failed=$((failed + 1))
    continue
  fi
  if reason=$(check_case "$case_dir"); then
    echo "PASS $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name: $reason"
    failed=$((failed + 1))
  fi
  if [[ -z "${COMPAT_KEEP:-}" ]]; then rm -rf "${work:?}/$name"; fi
done
if [[ -n "${COMPAT_KEEP:-}" ]]; then echo "work directory kept: $work"; fi
echo "compat: $passed passed, $failed failed"
((failed == 0))
