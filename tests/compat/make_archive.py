#!/usr/bin/env python3
"""Writes the small, deterministic archives that the ADD cases extract.

The compression follows the output name: .tar, .tar.gz, .tar.bz2, .tar.xz.
Every archive holds the same tree under PREFIX/ (files with odd modes and
owners, a subdirectory, a symlink and a hard link) plus top.txt at its root.
With --single SRC, OUT is SRC gzip-compressed (a compressed file that is not
a tar, which ADD must copy, not extract). The bytes are the same on every run.

Usage: make_archive.py [--prefix NAME] OUT | make_archive.py --single SRC OUT
"""

import argparse
import bz2
import gzip
import io
import lzma
import sys
import tarfile

MTIME = 1704067200  # 2024-01-01T00:00:00Z


def _info(name, kind, mode, uid=0, gid=0, data=b"", link=""):
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.uid, info.gid = kind, mode, uid, gid
    info.uname = info.gname = ""
    info.mtime = MTIME
    info.linkname = link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, (io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def tar_bytes(prefix):
    p = prefix + "/"
    members = [
        _info(p, tarfile.DIRTYPE, 0o755),
        _info(p + "exec.sh", tarfile.REGTYPE, 0o755, data=b"#!/bin/sh\n"),
        _info(p + "file.txt", tarfile.REGTYPE, 0o640, 1234, 5678,
              data=b"archived file\n"),
        _info(p + "hard", tarfile.LNKTYPE, 0o640, 1234, 5678,
              link=p + "file.txt"),
        _info(p + "link", tarfile.SYMTYPE, 0o777, link="file.txt"),
        _info(p + "sub/", tarfile.DIRTYPE, 0o700, 1000, 1000),
        _info(p + "sub/deep.txt", tarfile.REGTYPE, 0o600, 1000, 1000,
              data=b"deep\n"),
        _info(p + "suid", tarfile.REGTYPE, 0o4755, data=b"setuid\n"),
        _info("top.txt", tarfile.REGTYPE, 0o644, data=b"top of archive\n"),
    ]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, data)
    return buf.getvalue()


def gzip_bytes(data):
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", fileobj=buf, mode="wb", mtime=0) as f:
        f.write(data)
    return buf.getvalue()


def compress(name, data):
    if name.endswith(".gz") or name.endswith(".tgz"):
        return gzip_bytes(data)
    if name.endswith(".bz2"):
        return bz2.compress(data)
    if name.endswith(".xz"):
        return lzma.compress(data, format=lzma.FORMAT_XZ)
    if name.endswith(".tar"):
        return data
    sys.exit(f"make_archive: {name}: want .tar, .tar.gz, .tar.bz2 or .tar.xz")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", default="arch",
                        help="top directory inside the archive")
    parser.add_argument("--single", metavar="SRC",
                        help="gzip this file instead of writing a tar")
    parser.add_argument("out")
    args = parser.parse_args()
    if args.single:
        with open(args.single, "rb") as f:
            data = gzip_bytes(f.read())
    else:
        data = compress(args.out, tar_bytes(args.prefix))
    with open(args.out, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
