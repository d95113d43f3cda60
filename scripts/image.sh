#!/usr/bin/env bash
# Builds farm's own image (deploy/Dockerfile) with farm itself, an embedded
# farm under --root, and writes it as a docker-archive and an OCI layout:
#
#   scripts/image.sh [--prebuilt | --binaries DIR] [--base-archive FILE]
#                    [--base REF] [--tag REF] [--out DIR] [--root DIR]
#                    [--push REF]
#
#   (neither)           the Dockerfile's "compiled" stage builds the
#                       binaries with Bazel from this checkout, in a Debian
#                       container (slow: the build dependencies from apt and
#                       a full Bazel build); Bazel on this host builds only
#                       the farm that runs the build
#   --prebuilt          Bazel on this host builds the four binaries and the
#                       image takes them (minutes, not an hour)
#   --binaries DIR      take farm, farm-scheduler, farm-worker and farm-cache
#                       from DIR, and run no Bazel at all (implies
#                       --prebuilt; DIR/farm runs the build)
#   --base-archive FILE farm load FILE (a docker-archive or OCI tar of
#                       Debian 12) and tag it as --base first, for machines
#                       that cannot pull from Docker Hub
#   --base REF          the base image (default debian:12-slim)
#   --tag REF           the image's name (default farm:VERSION, VERSION
#                       being kFarmVersion of common/version.h, which the
#                       Helm chart's appVersion follows)
#   --out DIR           where the image goes (default ./out):
#                       farm-image.docker.tar  a docker-archive, tagged
#                                              with --tag
#                       farm-image.oci/        an OCI layout; its ref name
#                                              is the tag's (VERSION)
#   --root DIR          the embedded farm's state (default: farm's own)
#   --push REF          also push the image to REF (registry/repo:tag)
#
# The final stage runs apt-get, so the build needs Debian's mirror.
set -euo pipefail

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
die() { echo "image.sh: $*" >&2; exit 2; }
absolute() { [[ $1 == /* ]] && echo "$1" || echo "$PWD/$1"; }

prebuilt=0 binaries_dir="" base_archive="" base=debian:12-slim tag=""
out=out root="" push=""
while (($#)); do
  case $1 in
    --prebuilt) prebuilt=1 ;;
    --binaries|--base-archive|--base|--tag|--out|--root|--push)
      (($# >= 2)) || die "$1 needs a value"
      case $1 in
        --binaries) binaries_dir=$(absolute "$2"); prebuilt=1 ;;
        --base-archive) base_archive=$(absolute "$2") ;;
        --base) base=$2 ;;
        --tag) tag=$2 ;;
        --out) out=$2 ;;
        --root) root=$(absolute "$2") ;;
        --push) push=$2 ;;
      esac
      shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
  shift
done
out=$(absolute "$out")
cd "$(dirname "$0")/.."

version=$(sed -n 's/.*kFarmVersion\[\] = "\(.*\)";/\1/p' common/version.h)
[[ -n "$version" ]] || die "no kFarmVersion in common/version.h"
tag=${tag:-farm:$version}
binaries=(farm farm-scheduler farm-worker farm-cache)

if [[ -n "$binaries_dir" ]]; then
  for b in "${binaries[@]}"; do
    [[ -x "$binaries_dir/$b" ]] || die "no executable $binaries_dir/$b"
  done
  bin_of() { echo "$binaries_dir/$1"; }
else
  targets=(//client:farm)
  if ((prebuilt)); then
    targets+=(//scheduler:farm-scheduler //worker:farm-worker //cache:farm-cache)
  fi
  echo "image.sh: bazel build ${targets[*]}"
  bazel build --noshow_progress "${targets[@]}"
  bin_of() {
    case $1 in
      farm) echo bazel-bin/client/farm ;;
      farm-scheduler) echo bazel-bin/scheduler/farm-scheduler ;;
      farm-worker) echo bazel-bin/worker/farm-worker ;;
      farm-cache) echo bazel-bin/cache/farm-cache ;;
    esac
  }
fi
farm=("$(absolute "$(bin_of farm)")")
if [[ -n "$root" ]]; then farm+=(--root "$root"); fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

if [[ -n "$base_archive" ]]; then
  echo "image.sh: loading $base_archive as $base"
  loaded=$("${farm[@]}" load -i "$base_archive" | sed -n 's/^Loaded image: //p' | head -1)
  [[ -n "$loaded" ]] || die "$base_archive holds no tagged image"
  if [[ "$loaded" != "$base" ]]; then "${farm[@]}" tag "$loaded" "$base"; fi
fi

# The context: this checkout for the compiled stage (sources only, as
# deploy/Dockerfile.dockerignore says), or the Dockerfile and bin/ alone.
context=.
dockerfile=deploy/Dockerfile
stage=compiled
if ((prebuilt)); then
  context=$scratch/context
  mkdir -p "$context/bin"
  for b in "${binaries[@]}"; do cp "$(bin_of "$b")" "$context/bin/$b"; done
  cp deploy/Dockerfile "$context/Dockerfile"
  dockerfile=$context/Dockerfile
  stage=prebuilt
fi

mkdir -p "$out"
args=(build --progress plain -f "$dockerfile" -t "$tag"
      --build-arg "BASE=$base" --build-arg "BINARIES=$stage"
      --output "type=docker,dest=$out/farm-image.docker.tar"
      --output "type=oci,dest=$scratch/oci.tar")
echo "image.sh: farm ${args[*]} $context"
"${farm[@]}" "${args[@]}" "$context"

# The OCI layout as a directory (what skopeo's oci: and umoci read),
# replaced whole.
mkdir "$scratch/oci"
tar -xf "$scratch/oci.tar" -C "$scratch/oci"
rm -rf "$out/farm-image.oci"
mv "$scratch/oci" "$out/farm-image.oci"

if [[ -n "$push" ]]; then
  echo "image.sh: pushing $tag as $push"
  "${farm[@]}" tag "$tag" "$push"
  "${farm[@]}" push "$push"
fi
echo "image.sh: $tag written to $out/farm-image.docker.tar and $out/farm-image.oci"
