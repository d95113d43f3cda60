#!/usr/bin/env python3
"""Writes a Debian 12 base image, tagged debian:12-slim, as a docker-archive.

The root filesystem comes from `mmdebstrap --variant=minbase bookworm` and is
cached (CACHE/debian-bookworm-minbase-<mirror hash>.tar, made again once older
than --max-age-days) because it takes a minute and Debian's mirror; the
archive wraps it as the image's one layer.

Usage: make_debian_image.py OUT.tar [--cache DIR] [--mirror URL]
  DIR defaults to $FARM_TEST_CACHE or /var/cache/farm-test.
"""

import argparse
import fcntl
import hashlib
import io
import json
import os
import platform
import subprocess
import sys
import tarfile
import time

TAG = ("debian", "12-slim")
CREATED = "2024-01-01T00:00:00Z"
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
GOARCH = {"x86_64": "amd64", "aarch64": "arm64"}


def cached_rootfs(cache, mirror, max_age_days):
    """The cached mmdebstrap tarball, made first when missing or stale."""
    os.makedirs(cache, exist_ok=True)
    # The image's sources.list names the mirror: one cache entry per mirror.
    key = hashlib.sha256(mirror.encode()).hexdigest()[:8]
    rootfs = os.path.join(cache, f"debian-bookworm-minbase-{key}.tar")
    with open(rootfs + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one mmdebstrap at a time
        if os.path.exists(rootfs) and \
                time.time() - os.path.getmtime(rootfs) < max_age_days * 86400:
            return rootfs
        tmp = rootfs + ".tmp"
        start = time.monotonic()
        print(f"make_debian_image: mmdebstrap bookworm into {rootfs}",
              file=sys.stderr, flush=True)
        subprocess.run(["mmdebstrap", "--quiet", "--variant=minbase",
                        "--format=tar", "bookworm", tmp, mirror], check=True)
        os.replace(tmp, rootfs)
        print(f"make_debian_image: mmdebstrap took "
              f"{time.monotonic() - start:.0f} s", file=sys.stderr, flush=True)
    return rootfs


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def add_bytes(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o644, 0
    tar.addfile(info, io.BytesIO(data))


def write_archive(rootfs, out):
    diff_id = "sha256:" + file_sha256(rootfs)
    config = canonical({
        "architecture": GOARCH.get(platform.machine(), platform.machine()),
        "os": "linux",
        "created": CREATED,
        "config": {"Env": [PATH_ENV], "Cmd": ["bash"]},
        "history": [{"created": CREATED,
                     "created_by": "mmdebstrap --variant=minbase bookworm"}],
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    })
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    layer = diff_id.split(":")[1] + "/layer.tar"
    tmp = out + ".tmp"
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
        tar.add(rootfs, arcname=layer)
        add_bytes(tar, config_name, config)
        add_bytes(tar, "manifest.json", canonical([{
            "Config": config_name,
            "RepoTags": [":".join(TAG)],
            "Layers": [layer],
        }]))
    os.replace(tmp, out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="where to write the docker-archive tar")
    parser.add_argument("--cache", default=os.environ.get(
        "FARM_TEST_CACHE", "/var/cache/farm-test"))
    parser.add_argument("--mirror", default="http://deb.debian.org/debian")
    parser.add_argument("--max-age-days", type=float, default=30)
    args = parser.parse_args()
    write_archive(cached_rootfs(args.cache, args.mirror, args.max_age_days),
                  args.out)


if __name__ == "__main__":
    main()
