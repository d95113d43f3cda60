#!/usr/bin/env python3
"""Turns a docker-archive tar into the compat corpus's expected.json form.

The JSON holds what farm must reproduce of an image Docker built: the config
fields that matter, the history, the entries of every layer added on top of
the base image, and the flattened final filesystem tree. mtimes are left out
(they differ on every build); everything else is kept and sorted, so two
flattenings of equal images are equal text.

Usage: flatten.py IMAGE.tar [--base BASE.tar] [--tag REF] [-o OUT.json]
"""

import argparse
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

# Container-config fields that the Dockerfile controls, in output order.
CONFIG_FIELDS = ["User", "Env", "Entrypoint", "Cmd", "WorkingDir",
                 "ExposedPorts", "Volumes", "Labels", "StopSignal",
                 "Healthcheck", "Shell", "OnBuild", "ArgsEscaped"]
# Top-level image-config fields, in output order.
IMAGE_FIELDS = ["architecture", "os", "variant", "author"]

WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"

TYPE_NAMES = {
    tarfile.REGTYPE: "file", tarfile.AREGTYPE: "file",
    tarfile.CONTTYPE: "file", tarfile.DIRTYPE: "dir",
    tarfile.SYMTYPE: "symlink", tarfile.LNKTYPE: "hardlink",
    tarfile.CHRTYPE: "char", tarfile.BLKTYPE: "block",
    tarfile.FIFOTYPE: "fifo",
}


class FlattenError(Exception):
    """The archive is not a docker-archive image this tool can read."""


def clean_path(name):
    """'./a//b/' -> '/a/b'; the root itself is '/'."""
    parts = [p for p in name.split("/") if p not in ("", ".")]
    stack = []
    for part in parts:
        if part == "..":
            if stack:
                stack.pop()
        else:
            stack.append(part)
    return "/" + "/".join(stack)


def parent_of(path):
    head = path.rsplit("/", 1)[0]
    return head or "/"


def is_under(path, root):
    return path == root or path.startswith(root.rstrip("/") + "/")


def _open_blob(data):
    """Opens a layer blob as a tar, whatever its compression."""
    if data[:4] == b"\x28\xb5\x2f\xfd":  # zstd: not in Python's stdlib.
        try:
            data = subprocess.run(["zstd", "-dc"], input=data, check=True,
                                  capture_output=True).stdout
        except (OSError, subprocess.CalledProcessError) as e:
            raise FlattenError(f"zstd layer: cannot decompress: {e}") from e
    try:
        return tarfile.open(fileobj=io.BytesIO(data), mode="r:*")
    except tarfile.TarError as e:
        raise FlattenError(f"layer is not a tar: {e}") from e


def _xattrs(member):
    out = {}
    for key, value in member.pax_headers.items():
        if key.startswith("SCHILY.xattr."):
            out[key[len("SCHILY.xattr."):]] = value
    return out


def read_layer(data):
    """Returns the layer's entries as dicts, in tar order.

    Regular entries carry path, type, mode, uid, gid and, per type, size and
    sha256, link or device numbers. Whiteouts become {"path", "type":
    "whiteout"} and opaque markers {"path": dir, "type": "opaque"}.
    """
    entries = []
    with _open_blob(data) as tar:
        for m in tar:
            path = clean_path(m.name)
            base = path.rsplit("/", 1)[1]
            if base == OPAQUE_MARKER:
                entries.append({"path": parent_of(path), "type": "opaque"})
                continue
            if base.startswith(WHITEOUT_PREFIX):
                target = parent_of(path).rstrip("/") + "/" + base[4:]
                entries.append({"path": target, "type": "whiteout"})
                continue
            if path == "/":
                continue
            kind = TYPE_NAMES.get(m.type)
            if kind is None:
                raise FlattenError(f"{m.name}: unsupported tar type {m.type!r}")
            e = {"path": path, "type": kind, "mode": "%04o" % (m.mode & 0o7777),
                 "uid": m.uid, "gid": m.gid}
            if kind == "file":
                content = tar.extractfile(m).read()
                e["size"] = len(content)
                e["sha256"] = hashlib.sha256(content).hexdigest()
            elif kind == "symlink":
                e["link"] = m.linkname
            elif kind == "hardlink":
                e["link"] = clean_path(m.linkname)
            elif kind in ("char", "block"):
                e["devmajor"], e["devminor"] = m.devmajor, m.devminor
            xattrs = _xattrs(m)
            if xattrs:
                e["xattrs"] = xattrs
            entries.append(e)
    return entries


class Tree:
    """A filesystem built by applying layers in order, as an unpacker would."""

    def __init__(self):
        self.nodes = {}  # path -> entry dict (without hardlink bookkeeping)
        self.inode = {}  # path -> inode number, for regular files
        self.next_inode = 0

    def _remove(self, root):
        for p in [p for p in self.nodes if is_under(p, root)]:
            del self.nodes[p]
            self.inode.pop(p, None)

    def _ensure_parents(self, path):
        parent = parent_of(path)
        while parent != "/" and parent not in self.nodes:
            self.nodes[parent] = {"path": parent, "type": "dir", "mode": "0755",
                                  "uid": 0, "gid": 0, "implied": True}
            parent = parent_of(parent)

    def apply(self, entries):
        # Whiteouts hide what lower layers hold, never this layer's entries.
        for e in entries:
            if e["type"] == "whiteout":
                self._remove(e["path"])
            elif e["type"] == "opaque":
                for p in [p for p in self.nodes if is_under(p, e["path"])
                          and p != e["path"]]:
                    del self.nodes[p]
                    self.inode.pop(p, None)
        for e in entries:
            if e["type"] in ("whiteout", "opaque"):
                continue
            path = e["path"]
            old = self.nodes.get(path)
            if old is not None and not (old["type"] == "dir" and
                                        e["type"] == "dir"):
                self._remove(path)
            self._ensure_parents(path)
            if e["type"] == "hardlink":
                target = self.nodes.get(e["link"])
                if target is None or target["type"] != "file":
                    raise FlattenError(f"{path}: hard link to missing file "
                                       f"{e['link']}")
                node = dict(target)
                node["path"] = path
                self.nodes[path] = node
                self.inode[path] = self.inode[e["link"]]
                continue
            self.nodes[path] = dict(e)
            if e["type"] == "file":
                self.inode[path] = self.next_inode
                self.next_inode += 1

    def entries(self):
        """Sorted entries; each extra name of a file carries hardlink_of."""
        first = {}
        for path in sorted(self.inode):
            first.setdefault(self.inode[path], path)
        out = []
        for path in sorted(self.nodes):
            e = dict(self.nodes[path])
            if path in self.inode and first[self.inode[path]] != path:
                e["hardlink_of"] = first[self.inode[path]]
            out.append(e)
        return out


class Archive:
    """A docker-archive tar: manifest.json, config blob, layer blobs."""

    def __init__(self, path):
        try:
            self.tar = tarfile.open(path, mode="r:*")
        except (OSError, tarfile.TarError) as e:
            raise FlattenError(f"{path}: cannot open: {e}") from e
        self.path = path

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.tar.close()

    def read(self, name):
        for candidate in (name, clean_path(name)[1:]):
            try:
                member = self.tar.extractfile(candidate)
            except KeyError:
                continue
            if member is not None:
                return member.read()
        raise FlattenError(f"{self.path}: no file {name} in the archive")

    def image(self, tag=None):
        """Returns (config dict, [layer blob name]) of one image."""
        try:
            manifest = json.loads(self.read("manifest.json"))
        except json.JSONDecodeError as e:
            raise FlattenError(f"{self.path}: manifest.json: {e}") from e
        if not manifest:
            raise FlattenError(f"{self.path}: manifest.json lists no image")
        if tag is None:
            if len(manifest) != 1:
                raise FlattenError(f"{self.path}: {len(manifest)} images; "
                                   "pick one with --tag")
            item = manifest[0]
        else:
            wanted = [m for m in manifest if tag in (m.get("RepoTags") or [])]
            if not wanted:
                raise FlattenError(f"{self.path}: no image tagged {tag}")
            item = wanted[0]
        config = json.loads(self.read(item["Config"]))
        return config, list(item.get("Layers") or [])


def _config_section(config):
    """The fields that matter; absent, null and empty all read as null.

    Go's encoder (omitempty) writes an empty list, map or string the same
    way as a missing one, so they carry no meaning of their own.
    """
    inner = config.get("config") or {}
    out = {}
    for field in IMAGE_FIELDS:
        out[field] = config.get(field)
    for field in CONFIG_FIELDS:
        out[field] = inner.get(field)
    return {k: (None if v in ("", [], {}) else v) for k, v in out.items()}


def _history_section(config):
    return [{"created_by": h.get("created_by", ""),
             "empty_layer": bool(h.get("empty_layer", False))}
            for h in config.get("history") or []]


def flatten(image_path, base_path=None, tag=None):
    """Returns the expected.json dict for the image in image_path."""
    with Archive(image_path) as archive:
        return _flatten(archive, base_path, tag)


def _flatten(archive, base_path, tag):
    image_path = archive.path
    config, layer_names = archive.image(tag)
    diff_ids = list((config.get("rootfs") or {}).get("diff_ids") or [])
    if len(diff_ids) != len(layer_names):
        raise FlattenError(f"{image_path}: {len(layer_names)} layers but "
                           f"{len(diff_ids)} diff_ids")
    skip = 0
    if base_path is not None:
        with Archive(base_path) as base:
            base_config, _ = base.image()
        base_ids = (base_config.get("rootfs") or {}).get("diff_ids") or []
        while (skip < len(base_ids) and skip < len(diff_ids)
               and diff_ids[skip] == base_ids[skip]):
            skip += 1
    history = _history_section(config)
    layer_history = [h["created_by"] for h in history if not h["empty_layer"]]
    if len(layer_history) != len(layer_names):
        layer_history = [None] * len(layer_names)
    tree = Tree()
    layers = []
    for i, name in enumerate(layer_names):
        entries = read_layer(archive.read(name))
        tree.apply(entries)
        if i >= skip:
            layers.append({"created_by": layer_history[i],
                           "entries": sorted(entries,
                                             key=lambda e: (e["path"],
                                                            e["type"]))})
    return {
        "config": _config_section(config),
        "history": history,
        "base_layers": diff_ids[:skip],
        "layers": layers,
        "tree": tree.entries(),
    }


# Key order of one file entry on its line: identity first, then content.
ENTRY_KEYS = ["path", "type", "mode", "uid", "gid", "size", "sha256", "link",
              "hardlink_of", "devmajor", "devminor", "xattrs", "implied",
              "created_by", "empty_layer"]


def _one_line(value):
    if isinstance(value, dict):
        rank = {k: i for i, k in enumerate(ENTRY_KEYS)}
        keys = sorted(value, key=lambda k: (rank.get(k, len(rank)), k))
        value = {k: value[k] for k in keys}
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def dumps(doc):
    """Readable, stable text: one line per file entry and history entry."""
    lines = ["{"]
    lines.append('  "config": {')
    fields = list(doc["config"].items())
    for i, (k, v) in enumerate(fields):
        comma = "," if i + 1 < len(fields) else ""
        lines.append(f"    {json.dumps(k)}: {_one_line(v)}{comma}")
    lines.append("  },")

    def block(key, items, indent, last):
        pad = " " * indent
        if not items:
            lines.append(f'{pad}{json.dumps(key)}: []{"" if last else ","}')
            return
        lines.append(f"{pad}{json.dumps(key)}: [")
        for i, item in enumerate(items):
            comma = "," if i + 1 < len(items) else ""
            lines.append(f"{pad}  {_one_line(item)}{comma}")
        lines.append(f'{pad}]{"" if last else ","}')

    block("history", doc["history"], 2, False)
    block("base_layers", doc["base_layers"], 2, False)
    if doc["layers"]:
        lines.append('  "layers": [')
        for i, layer in enumerate(doc["layers"]):
            lines.append("    {")
            lines.append(f'      "created_by": {_one_line(layer["created_by"])},')
            block("entries", layer["entries"], 6, True)
            lines.append("    }" + ("," if i + 1 < len(doc["layers"]) else ""))
        lines.append("  ],")
    else:
        lines.append('  "layers": [],')
    block("tree", doc["tree"], 2, True)
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image", help="docker-archive tar (docker save)")
    parser.add_argument("--base", help="base image archive: its layers are "
                        "left out of the per-layer listing")
    parser.add_argument("--tag", help="image to pick when the archive holds "
                        "several")
    parser.add_argument("-o", "--output", help="write here, not to stdout")
    args = parser.parse_args(argv)
    try:
        text = dumps(flatten(args.image, args.base, args.tag))
    except FlattenError as e:
        print(f"flatten: {e}", file=sys.stderr)
        return 2
    if args.output:
        tmp = args.output + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, args.output)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
