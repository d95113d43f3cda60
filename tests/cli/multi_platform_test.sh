#!/usr/bin/env bash
# The image commands over a multi-platform image (an image index), as
# Docker's containerd image store shows one: `farm build --platform
# linux/amd64,linux/arm64` makes one image that images lists once with its
# platforms, inspect shows with every platform's manifest (and as one
# platform's with --platform), save writes as one platform's docker-archive,
# an OCI archive with a nested index loads back as one image, run --platform
# runs that platform's image (through QEMU), and rmi deletes.
#   multi_platform_test.sh FARM MAKE_IMAGE GET_ARM64_BUSYBOX OCI_INDEX_ARCHIVE
set -uo pipefail
source "$(dirname "$0")/cli_checks.sh"
cli_checks_init multi-platform "$1" "$2"
get_arm64_busybox="$(realpath "$3")"
oci_index_archive="$(realpath "$4")"
f() { "$farm" --root "$root" "$@"; }
fails() { ! "$@"; }

arm64_busybox=$("$get_arm64_busybox") || { echo "FAIL no arm64 busybox"; exit 1; }
"$make_image" "$work/amd64.tar"
"$make_image" "$work/arm64.tar" --busybox "$arm64_busybox" --arch arm64 \
  --tag busybox-arm64:latest
f load -i "$work/amd64.tar" >/dev/null
f load -i "$work/arm64.tar" >/dev/null
f tag busybox:latest busybox-amd64:latest
check "without a multi-platform image, images has no PLATFORMS column" \
  fails contains "$(f images)" "PLATFORMS"

mkdir -p "$work/ctx"
printf 'FROM busybox-${TARGETARCH}\nENV MULTI=1\n' >"$work/ctx/Dockerfile"
check "build for two platforms" \
  f build --progress plain --platform linux/amd64,linux/arm64 -t multi:1 "$work/ctx" \
  2>"$work/err"

images=$(f images)
echo "$images"
check "images has a PLATFORMS column" contains "$(head -1 <<<"$images")" "PLATFORMS"
check "the multi-platform image is one line with its platforms" \
  [ "$(grep -c '^multi ' <<<"$images")" = 1 ]
check "its line lists both platforms" \
  contains "$(grep '^multi ' <<<"$images")" "linux/amd64,linux/arm64"

inspect=$(f inspect multi:1)
index_id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])[0]["Id"])' "$inspect")
check "inspect shows the index with every platform's image" python3 -c '
import json, sys
img = json.loads(sys.argv[1])[0]
assert img["Id"] == img["Descriptor"]["digest"], img["Descriptor"]
assert "multi:1" in img["RepoTags"], img["RepoTags"]
assert img["Architecture"] == "amd64" and img["Os"] == "linux", img
assert img["Config"]["Env"][-1] == "MULTI=1", img["Config"]
ms = img["Manifests"]
assert [m["Platform"] for m in ms] == ["linux/amd64", "linux/arm64"], ms
assert [m["Architecture"] for m in ms] == ["amd64", "arm64"], ms
for m in ms:
    assert m["Os"] == "linux" and m["Size"] > 0, m
    assert m["Digest"].startswith("sha256:") and m["Id"] != img["Id"], m
assert [m["digest"] for m in img["Index"]["manifests"]] == \
    [m["Digest"] for m in ms], img["Index"]
' "$inspect"
arm_inspect=$(f inspect --platform linux/arm64 multi:1)
check "inspect --platform shows that platform's image alone" python3 -c '
import json, sys
multi = json.loads(sys.argv[1])[0]
img = json.loads(sys.argv[2])[0]
arm = [m for m in multi["Manifests"] if m["Platform"] == "linux/arm64"][0]
assert img["Architecture"] == "arm64", img["Architecture"]
assert img["Id"] == arm["Id"], (img["Id"], arm)
assert img["Descriptor"]["digest"] == arm["Digest"], img["Descriptor"]
assert "Manifests" not in img and "Index" not in img
' "$inspect" "$arm_inspect"
check "inspect --platform of a platform it lacks fails" \
  bash -c "! '$farm' --root '$root' inspect --platform linux/s390x multi:1 >/dev/null 2>'$work/err'"
check "naming the platforms it has" contains "$(cat "$work/err")" \
  "has no linux/s390x image; it has linux/amd64, linux/arm64"

archive_arch() {  # the architecture of the one image in a docker-archive
  python3 -c '
import json, sys, tarfile
t = tarfile.open(sys.argv[1])
m = json.load(t.extractfile("manifest.json"))
assert len(m) == 1 and m[0]["RepoTags"] == ["multi:1"], m
print(json.load(t.extractfile(m[0]["Config"]))["architecture"])' "$1"
}
check "save writes a docker-archive" f save -o "$work/x.tar" multi:1
check "of the default platform's image" [ "$(archive_arch "$work/x.tar")" = amd64 ]
check "skopeo reads it" bash -c "skopeo inspect 'docker-archive:$work/x.tar' >/dev/null"
check "save --platform linux/arm64" \
  f save --platform linux/arm64 -o "$work/arm.tar" multi:1
check "writes the arm64 image" [ "$(archive_arch "$work/arm.tar")" = arm64 ]

# An OCI archive whose index.json names a nested index loads as one image.
nested=$(python3 "$oci_index_archive" "$work/nested.tar" multi:loaded \
  "$work/x.tar" "$work/arm.tar")
check "load an OCI archive with a nested index" \
  contains "$("$farm" --root "$work/root2" load -i "$work/nested.tar")" \
  "Loaded image: multi:loaded"
loaded=$("$farm" --root "$work/root2" images)
check "it is one multi-platform image" \
  contains "$(grep '^multi ' <<<"$loaded")" "linux/amd64,linux/arm64"
check "whose id is the index's digest" \
  contains "$("$farm" --root "$work/root2" inspect multi:loaded)" "\"Id\": \"$nested\""

check "save --format oci" f save --format oci -o "$work/oci.tar" multi:1
if python3 -c '
import json, sys, tarfile
index = json.load(tarfile.open(sys.argv[1]).extractfile("index.json"))
sys.exit(0 if "index" in index["manifests"][0]["mediaType"] else 1)' "$work/oci.tar"; then
  check "load the saved OCI archive" "$farm" --root "$work/root3" load -i "$work/oci.tar"
  check "back as one multi-platform image" \
    contains "$("$farm" --root "$work/root3" images)" "linux/amd64,linux/arm64"
else
  echo "SKIP save --format oci writes no image index for a multi-platform image yet"
fi

check "run without --platform runs the host's image" \
  [ "$(f run --rm multi:1 uname -m)" = "$(uname -m)" ]
check "run --platform of a platform it lacks fails" \
  fails f run --rm --platform linux/s390x multi:1 true 2>"$work/err"
check "naming the platforms it has" contains "$(cat "$work/err")" \
  "has no linux/s390x image; it has linux/amd64, linux/arm64"
has_aarch64_emulator() {
  local entry
  for entry in /proc/sys/fs/binfmt_misc/*; do
    [[ -f $entry ]] || continue
    grep -qx enabled "$entry" && grep -q '^flags:.*F' "$entry" &&
      grep -q '^magic 7f454c460201010000000000000000000200b700' "$entry" && return 0
  done
  return 1
}
if has_aarch64_emulator; then
  check "run --platform linux/arm64 runs the arm64 image" \
    [ "$(f run --rm --platform linux/arm64 multi:1 uname -m)" = aarch64 ]
else
  echo "SKIP run --platform linux/arm64: no enabled aarch64 emulator with the F flag in /proc/sys/fs/binfmt_misc"
fi

check "tag" f tag multi:1 multi:2
check "rmi of one tag untags" contains "$(f rmi multi:1)" "Untagged: multi:1"
rmi=$(f rmi multi:2)
check "rmi of the last tag deletes the index" contains "$rmi" "Deleted: $index_id"
check "no multi-platform image is left" fails contains "$(f images)" "multi"
check "and the PLATFORMS column is gone" fails contains "$(f images)" "PLATFORMS"
check "an untagged multi-platform build is pruned" bash -c "
  '$farm' --root '$root' build -q --platform linux/amd64,linux/arm64 '$work/ctx' >/dev/null 2>&1 &&
  '$farm' --root '$root' image prune -f | grep -q 'deleted: sha256:'"
check "the base images are intact" contains "$(f images)" "busybox-arm64"

echo "multi-platform checks: $failures failed"
((failures == 0))
