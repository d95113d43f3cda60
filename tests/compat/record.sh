#!/usr/bin/env bash
# Re-records what Docker's BuildKit produces for the compat corpus.
#   tests/compat/record.sh [CASE...]        (default: every case)
# Needs root, Debian's docker.io (apt-get install -y docker.io) and python3.
# CI never runs this: it only reads the files this writes.
#
# Unless DOCKER_HOST is set, a private dockerd is started with its data under
# a temp dir (overlay2, no bridge, no iptables) and stopped at exit. Each case
# is staged with stage_case.sh and built with
#   DOCKER_BUILDKIT=1 docker build --no-cache --network=none [args] CONTEXT
# against the busybox:latest made by tests/fixtures/make_busybox_image.sh.
# A case named fail-* must fail: Docker's last error line goes to
# cases/NAME/docker_error.txt. Any other case must succeed: its image is
# saved and flattened into cases/NAME/expected.json. As a check of the tools,
# every image is also saved a second time and rebuilt once more; both must
# flatten to the same JSON. Versions go to tests/compat/RECORDED_WITH.
set -euo pipefail

compat=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$compat/../.." && pwd)
docker=${DOCKER:-/usr/bin/docker}
work=$(mktemp -d /tmp/farm-record.XXXXXX)
dockerd_pid=""

cleanup() {
  if [[ -n "$dockerd_pid" ]]; then
    kill "$dockerd_pid" 2>/dev/null || true
    wait "$dockerd_pid" 2>/dev/null || true
  fi
  # overlay2 leaves its own mounts under the data root; unmount before rm.
  grep -o " ${work}[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l \
    2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

start_dockerd() {
  export DOCKER_HOST="unix://$work/docker.sock"
  dockerd --data-root "$work/data" --exec-root "$work/exec" \
    --pidfile "$work/dockerd.pid" -H "$DOCKER_HOST" \
    --storage-driver=overlay2 --bridge=none --iptables=false \
    --ip6tables=false --containerd-namespace farm-record \
    --containerd-plugins-namespace farm-record-plugins \
    >"$work/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 1 60); do
    if "$docker" version >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "record: dockerd did not start; its log:" >&2
  tail -20 "$work/dockerd.log" >&2
  exit 1
}

if [[ -z "${DOCKER_HOST:-}" ]]; then start_dockerd; fi
export DOCKER_BUILDKIT=1

"$root/tests/fixtures/make_busybox_image.sh" "$work/busybox.tar"
"$docker" load -i "$work/busybox.tar" >/dev/null

{
  echo "# What recorded tests/compat/cases (written by record.sh)."
  "$docker" version --format \
    'docker client {{.Client.Version}}, engine {{.Server.Version}}, API {{.Server.APIVersion}}'
  "$docker" version --format \
    '{{range .Server.Components}}{{.Name}} {{.Version}}{{"\n"}}{{end}}' |
    grep -v '^$' | grep -v '^Engine '
  echo "BuildKit: the one built into dockerd (DOCKER_BUILDKIT=1), Dockerfile frontend dockerfile.v0, no # syntax= image"
  echo "storage driver: $("$docker" info --format '{{.Driver}}')"
  echo "build flags: --no-cache --network=none"
  echo "base: tests/fixtures/make_busybox_image.sh with $(/bin/busybox | head -1)"
} >"$compat/RECORDED_WITH"

flatten() { python3 "$compat/flatten.py" --base "$work/busybox.tar" "$@"; }

# Builds stage/context of one case; extra args as in cases/NAME/args, run
# from inside the context so their relative paths (--secret src=) work.
build() {
  local name=$1 stage=$2 log=$3
  shift 3
  (cd "$stage/context" &&
    "$docker" build --no-cache --network=none --progress=plain "$@" \
      -t "compat/$name" "$stage/context") >"$log" 2>&1
}

record_case() {
  local case_dir=$1 name stage log args=()
  name=$(basename "$case_dir")
  stage="$work/stage/$name"
  log="$work/$name.log"
  if [[ -f "$case_dir/args" ]]; then read -r -a args <"$case_dir/args"; fi
  "$compat/stage_case.sh" "$case_dir" "$stage"
  if [[ $name == fail-* ]]; then
    if build "$name" "$stage" "$log" "${args[@]}"; then
      echo "FAIL $name: Docker built it, but fail-* cases must fail"
      return 1
    fi
    # Temp mount paths and the resolver's address change from run to run.
    grep -v '^[[:space:]]*$' "$log" | tail -1 |
      sed -E -e 's#/[^ :]*/buildkit-mount[0-9]+#<mount>#g' \
        -e 's#on [0-9.]+:53#on <resolver>#g' >"$case_dir/docker_error.txt"
    rm -f "$case_dir/expected.json"
    echo "ok   $name (Docker fails: $(cat "$case_dir/docker_error.txt"))"
    return 0
  fi
  if ! build "$name" "$stage" "$log" "${args[@]}"; then
    echo "FAIL $name: docker build failed:"
    tail -15 "$log" | sed 's/^/  /'
    return 1
  fi
  "$docker" save -o "$work/$name.tar" "compat/$name"
  flatten "$work/$name.tar" -o "$case_dir/expected.json"
  rm -f "$case_dir/docker_error.txt"
  # The tools' own check: a second save and a rebuild flatten the same.
  "$docker" save -o "$work/$name.again.tar" "compat/$name"
  flatten "$work/$name.again.tar" -o "$work/$name.again.json"
  build "$name" "$stage" "$log" "${args[@]}"
  "$docker" save -o "$work/$name.rebuilt.tar" "compat/$name"
  flatten "$work/$name.rebuilt.tar" -o "$work/$name.rebuilt.json"
  local problem=""
  if ! python3 "$compat/compare.py" "$case_dir/expected.json" \
    "$work/$name.again.json" >"$work/$name.diff"; then
    problem="second save differs"
  elif ! python3 "$compat/compare.py" "$case_dir/expected.json" \
    "$work/$name.rebuilt.json" >"$work/$name.diff"; then
    problem="rebuild differs"
  fi
  rm -f "$work/$name".*tar
  if [[ -n "$problem" ]]; then
    echo "FAIL $name: $problem:"
    sed 's/^/  /' "$work/$name.diff"
    return 1
  fi
  echo "ok   $name"
}

case_dirs=$("$compat/case_list.sh" "$@") || exit 2
mapfile -t cases <<<"$case_dirs"
recorded=0
failed=0
for case_dir in "${cases[@]}"; do
  if record_case "$case_dir"; then
    recorded=$((recorded + 1))
  else
    failed=$((failed + 1))
  fi
done
echo "record: $recorded recorded, $failed failed"
((failed == 0))
