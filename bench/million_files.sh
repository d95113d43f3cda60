#!/usr/bin/env bash
# Issue 14: a build over a context of N empty files (default 1,000,000, in
# directories of 1,000) with COPY + RUN, embedded, then remote (one
# farm-scheduler and one farm-worker on 127.0.0.1). Prints each build's
# time and the peak RSS of every farm process. Needs about 1M inodes and
# 3 GB of RAM.
#
#   bench/million_files.sh [N] [BIN_DIR]   (BIN_DIR defaults to bazel-bin)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
n="${1:-1000000}"
bin="${2:-$root/bazel-bin}"
farm="$bin/client/farm"; [[ -x $farm ]] || farm="$bin/farm"
sched="$bin/scheduler/farm-scheduler"; [[ -x $sched ]] || sched="$bin/farm-scheduler"
worker="$bin/worker/farm-worker"; [[ -x $worker ]] || worker="$bin/farm-worker"
work="$(mktemp -d /tmp/farm-million-XXXXXX)"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

python3 - "$work/ctx/src" "$n" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for d in range((n + 999) // 1000):
    path = os.path.join(root, f"d{d:04}")
    os.makedirs(path)
    for i in range(min(1000, n - d * 1000)):
        open(os.path.join(path, f"f{i:04}"), "w").close()
PY
printf 'FROM busybox\nCOPY src /src\nRUN find /src -type f | wc -l\n' > "$work/ctx/Dockerfile"
"$root/tests/fixtures/make_busybox_image.sh" "$work/busybox.tar" >/dev/null

stamp() { echo "$1 $(date -u +%FT%TZ), load $(cut -d' ' -f1 /proc/loadavg)"; }
report() {  # LOG: the build's time, peak RSS and the file count it saw
  grep -E "Elapsed \(wall|Maximum resident" "$1" | sed 's/^\s*/  /'
  grep -E "^#[0-9]+ [0-9.]+ [0-9]+$" "$1" | tail -1 | sed 's/^/  RUN saw: /'
}

echo "== $n files, embedded"
"$farm" --root "$work/embedded" load -i "$work/busybox.tar" >/dev/null
stamp "start"
/usr/bin/time -v "$farm" --root "$work/embedded" build --progress plain \
  -t many "$work/ctx" >"$work/embedded.log" 2>&1
stamp "end"
report "$work/embedded.log"

echo "== $n files, remote (one scheduler, one worker)"
"$sched" --listen 127.0.0.1:0 --root "$work/sched" >"$work/sched.out" 2>"$work/sched.log" &
pids+=($!)
for _ in $(seq 100); do grep -q "listening on port" "$work/sched.out" && break; sleep 0.1; done
port=$(grep -o "port [0-9]*" "$work/sched.out" | head -1 | cut -d' ' -f2)
"$worker" --scheduler "127.0.0.1:$port" --root "$work/worker" --id w1 --slots 2 \
  >"$work/worker.log" 2>&1 &
pids+=($!)
"$farm" --remote "127.0.0.1:$port" load -i "$work/busybox.tar" >/dev/null
stamp "start"
/usr/bin/time -v "$farm" --remote "127.0.0.1:$port" build --progress plain \
  -t many "$work/ctx" >"$work/remote.log" 2>&1
stamp "end"
echo "  client:"; report "$work/remote.log"
echo "  farm-scheduler peak RSS: $(grep VmHWM /proc/${pids[0]}/status | awk '{print $2, $3}')"
echo "  farm-worker peak RSS: $(grep VmHWM /proc/${pids[1]}/status | awk '{print $2, $3}')"
echo "  stage jobs whose context went through the CAS: $(grep -c 'goes through the CAS' "$work/sched.log")"
