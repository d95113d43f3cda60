#!/usr/bin/env bash
# Copies one corpus case into a fresh build context, so that Docker (when
# recording) and farm (when testing) build byte-identical inputs whatever the
# checkout's umask:
#   stage_case.sh CASE_DIR STAGE_DIR
# STAGE_DIR/context receives the case's files without the corpus's own
# (expected.json, docker_error.txt, args, prepare), with modes normalised
# (directories 0755, files 0644, or 0755 when git marks them executable) and
# then the case's `prepare` script run inside it (for hard links, empty
# directories and modes that git cannot hold, and generated archives).
# STAGE_DIR/outside.txt exists so that a context escape has a target.
set -euo pipefail

case_dir=$(cd "$1" && pwd)
stage=$2
tools=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

rm -rf "$stage"
mkdir -p "$stage/context"
echo "outside the context" >"$stage/outside.txt"
tar -C "$case_dir" --exclude=./expected.json --exclude=./docker_error.txt \
  --exclude=./args --exclude=./prepare -cf - . | tar -C "$stage/context" -xf -
find "$stage/context" -type d -exec chmod 0755 {} +
find "$stage/context" -type f -perm -u+x -exec chmod 0755 {} +
find "$stage/context" -type f ! -perm -u+x -exec chmod 0644 {} +
if [[ -f "$case_dir/prepare" ]]; then
  (cd "$stage/context" && COMPAT_TOOLS="$tools" bash -euo pipefail \
    "$case_dir/prepare")
fi
