#!/usr/bin/env bash
# End-to-end checks of farm's image commands on a real embedded farm:
# load, images, tag, inspect, history, save (both formats, validated by
# skopeo), a load/save round trip, rmi, image prune, cache stats and prune.
set -uo pipefail
source "$(dirname "$0")/cli_checks.sh"
cli_checks_init image-cmds "$1" "$2"

"$make_image" "$work/busybox.tar"
check "load prints the tag" \
  contains "$("$farm" --root "$root" load -i "$work/busybox.tar")" "Loaded image: busybox:latest"
images=$("$farm" --root "$root" images)
check "images has docker's header" contains "$images" "REPOSITORY   TAG      IMAGE ID       CREATED       SIZE"
check "images lists busybox" contains "$images" "busybox      latest"
check "tag" "$farm" --root "$root" tag busybox:latest example.com/team/app:1.0
check "images lists the new tag" \
  contains "$("$farm" --root "$root" images)" "example.com/team/app   1.0"
inspect=$("$farm" --root "$root" inspect example.com/team/app:1.0)
check "inspect is a JSON array with the tags" python3 -c '
import json, sys
data = json.loads(sys.argv[1])
assert isinstance(data, list) and len(data) == 1, data
img = data[0]
assert "example.com/team/app:1.0" in img["RepoTags"], img["RepoTags"]
assert img["Config"]["Cmd"] == ["sh"], img["Config"]
assert img["Id"].startswith("sha256:") and img["Os"] == "linux"
' "$inspect"
check "inspect of a missing image fails" bash -c \
  "! '$farm' --root '$root' inspect no-such-image:1 2>'$work/err' && grep -q 'No such image: no-such-image:1' '$work/err'"
check "history shows the creating step" \
  contains "$("$farm" --root "$root" history busybox)" "tests/fixtures/make_busybox_image.sh"

check "save docker-archive" "$farm" --root "$root" save -o "$work/saved.tar" busybox:latest
check "skopeo inspects the docker-archive" \
  skopeo inspect "docker-archive:$work/saved.tar"
check "skopeo copies the docker-archive and verifies digests" \
  skopeo copy -q "docker-archive:$work/saved.tar" "dir:$work/copy-docker"
check "save oci" "$farm" --root "$root" save --format oci -o "$work/saved-oci.tar" busybox:latest
check "skopeo inspects the oci-archive" skopeo inspect "oci-archive:$work/saved-oci.tar"
check "skopeo copies the oci-archive" \
  skopeo copy -q "oci-archive:$work/saved-oci.tar" "dir:$work/copy-oci"

# Round trip: load what we saved into a fresh root, save again: same bytes.
check "reload into a fresh root" "$farm" --root "$work/root2" load -i "$work/saved.tar"
check "save again" "$farm" --root "$work/root2" save -o "$work/saved2.tar" busybox:latest
check "round trip keeps the archive byte for byte" cmp "$work/saved.tar" "$work/saved2.tar"

rmi=$("$farm" --root "$root" rmi example.com/team/app:1.0)
check "rmi untags" contains "$rmi" "Untagged: example.com/team/app:1.0"
check "rmi of a missing image fails" bash -c "! '$farm' --root '$root' rmi nope:1 2>/dev/null"
check "cache stats" contains "$("$farm" --root "$root" cache stats)" "blobs"
check "cache prune keeps image blobs" "$farm" --root "$root" cache prune
check "images survive a cache prune" "$farm" --root "$root" save -o "$work/after-prune.tar" busybox:latest
check "image prune -a deletes everything" \
  contains "$("$farm" --root "$root" image prune -a -f)" "deleted: sha256:"
check "no images left" bash -c \
  "[[ \$('$farm' --root '$root' images -q | wc -l) -eq 0 ]]"
check "load a missing file fails clearly" bash -c \
  "! '$farm' --root '$root' load -i '$work/missing.tar' 2>'$work/err' && grep -q 'missing.tar' '$work/err'"

echo "image command checks: $failures failed"
((failures == 0))
