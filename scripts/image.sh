#!/usr/bin/env bash
# Builds farm's own image (deploy/Dockerfile) with farm itself, and writes it
# as a docker-archive and an OCI layout:
#
#   scripts/image.sh [--prebuilt] [--base-archive FILE] [--base REF]
#                    [--tag REF] [--out DIR] [--root DIR] [--push REF]
#
#   --prebuilt          put the binaries Bazel builds on this host into the
#                       image (fast); without it, a stage of the Dockerfile
#                       compiles them from this checkout
#   --base-archive FILE load FILE (a docker-archive or OCI tar of Debian 12)
#                       and tag it as the base first: these machines have no
#                       Docker Hub
#   --base REF          the base image (default debian:12-slim)
#   --tag REF           the image's name (default farm:VERSION)
#   --out DIR           where the archives go (default ./out):
#                       farm-image.docker.tar, farm-image.oci.tar
#   --root DIR          the embedded farm's state (default: farm's own)
#   --push REF          also push the image to REF
set -euo pipefail
cd "$(dirname "$0")/.."

prebuilt=0 base_archive="" base=debian:12-slim tag="" out=out root="" push=""
while (($#)); do
  case $1 in
    --prebuilt) prebuilt=1 ;;
    --base-archive) base_archive=$2; shift ;;
    --base) base=$2; shift ;;
    --tag) tag=$2; shift ;;
    --out) out=$2; shift ;;
    --root) root=$2; shift ;;
    --push) push=$2; shift ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "image.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

version=$(sed -n 's/.*kFarmVersion\[\] = "\(.*\)";/\1/p' common/version.h)
tag=${tag:-farm:$version}
mkdir -p "$out"
out=$(cd "$out" && pwd)

echo "image.sh: building farm with Bazel"
bazel build --noshow_progress //client:farm //scheduler:farm-scheduler \
  //worker:farm-worker //cache:farm-cache
farm=(bazel-bin/client/farm)
if [[ -n "$root" ]]; then farm+=(--root "$root"); fi

if [[ -n "$base_archive" ]]; then
  echo "image.sh: loading $base_archive as $base"
  loaded=$("${farm[@]}" load -i "$base_archive" | sed -n 's/^Loaded image: //p' | head -1)
  if [[ -n "$loaded" && "$loaded" != "$base" ]]; then
    "${farm[@]}" tag "$loaded" "$base"
  fi
fi

context=.
binaries=compiled
if ((prebuilt)); then
  # A context of the Dockerfile and bin/ alone.
  context=$(mktemp -d)
  trap 'rm -rf "$context"' EXIT
  mkdir "$context/bin"
  cp bazel-bin/scheduler/farm-scheduler bazel-bin/worker/farm-worker \
    bazel-bin/cache/farm-cache bazel-bin/client/farm "$context/bin/"
  cp deploy/Dockerfile "$context/Dockerfile"
  binaries=prebuilt
fi
dockerfile=deploy/Dockerfile
if ((prebuilt)); then dockerfile=$context/Dockerfile; fi

# --push sends every tag of the build, so a pushed build is tagged with the
# registry reference alone, and with the local name afterwards.
args=(build --progress plain -f "$dockerfile" -t "${push:-$tag}"
      --build-arg "BASE=$base" --build-arg "BINARIES=$binaries"
      --output "type=docker,dest=$out/farm-image.docker.tar"
      --output "type=oci,dest=$out/farm-image.oci.tar")
if [[ -n "$push" ]]; then args+=(--push); fi
echo "image.sh: farm ${args[*]} $context"
"${farm[@]}" "${args[@]}" "$context"
if [[ -n "$push" ]]; then "${farm[@]}" tag "$push" "$tag"; fi
echo "image.sh: $tag written to $out/farm-image.docker.tar and $out/farm-image.oci.tar"
