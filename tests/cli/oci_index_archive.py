#!/usr/bin/env python3
"""Writes an OCI image-layout tar whose index.json names one nested image
index over the images of some docker-archives (one image per platform), the
way `docker save` of a multi-platform image lays it out with the containerd
image store.

  oci_index_archive.py OUT.tar NAME:TAG DOCKER_ARCHIVE...

Prints the digest of the nested index.
"""
import hashlib
import io
import json
import sys
import tarfile

INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"


def put(blobs, data, media_type):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    blobs[digest] = data
    return {"mediaType": media_type, "digest": digest, "size": len(data)}


def dumps(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


def platform_image(blobs, path):
    with tarfile.open(path) as archive:
        entry = json.load(archive.extractfile("manifest.json"))[0]
        config = archive.extractfile(entry["Config"]).read()
        layers = [archive.extractfile(name).read() for name in entry["Layers"]]
    layer_descriptors = []
    for layer in layers:
        gzip = layer[:2] == b"\x1f\x8b"
        media_type = "application/vnd.oci.image.layer.v1.tar" + (
            "+gzip" if gzip else "")
        layer_descriptors.append(put(blobs, layer, media_type))
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "config": put(blobs, config, CONFIG),
        "layers": layer_descriptors,
    }
    parsed = json.loads(config)
    platform = {"architecture": parsed["architecture"], "os": parsed["os"]}
    if parsed.get("variant"):
        platform["variant"] = parsed["variant"]
    descriptor = put(blobs, dumps(manifest), MANIFEST)
    descriptor["platform"] = platform
    return descriptor


def add(archive, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    archive.addfile(info, io.BytesIO(data))


def main(out, name, paths):
    blobs = {}
    manifests = [platform_image(blobs, path) for path in paths]
    index = put(blobs, dumps({"schemaVersion": 2, "mediaType": INDEX,
                              "manifests": manifests}), INDEX)
    index["annotations"] = {
        "io.containerd.image.name": "docker.io/library/" + name,
        "org.opencontainers.image.ref.name": name.rsplit(":", 1)[1],
    }
    top = {"schemaVersion": 2, "mediaType": INDEX, "manifests": [index]}
    with tarfile.open(out, "w") as archive:
        add(archive, "oci-layout", dumps({"imageLayoutVersion": "1.0.0"}))
        add(archive, "index.json", dumps(top))
        for digest, data in sorted(blobs.items()):
            add(archive, "blobs/sha256/" + digest[7:], data)
    print(index["digest"])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
