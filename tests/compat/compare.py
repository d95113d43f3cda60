#!/usr/bin/env python3
"""Compares two flattened images (flatten.py output) and lists what differs.

The first file is what Docker produced (expected), the second what farm
produced (actual). Differences are reported field by field: config fields,
history (created_by and empty_layer), base layers, each added layer's entries
and the final tree, file by file. Exit status: 0 equal, 1 different, 2 on
unreadable input.

Usage: compare.py EXPECTED.json ACTUAL.json [--max-lines N]
"""

import argparse
import json
import sys

# Fields of one file entry, in the order differences are reported.
ENTRY_FIELDS = ["type", "mode", "uid", "gid", "size", "sha256", "link",
                "hardlink_of", "devmajor", "devminor", "xattrs", "implied"]


def _show(value):
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _diff_fields(where, fields, expected, actual, out, sep=": "):
    for field in fields:
        a, b = expected.get(field), actual.get(field)
        if a != b:
            out.append(f"{where}{field}{sep}expected {_show(a)}, got "
                       f"{_show(b)}")


def _diff_count(what, expected, actual, out):
    if len(expected) != len(actual):
        out.append(f"{what}: expected {len(expected)}, got {len(actual)}")


def _diff_entries(where, expected, actual, out):
    want = {e["path"]: e for e in expected}
    got = {e["path"]: e for e in actual}
    for path in sorted(set(want) | set(got)):
        if path not in got:
            out.append(f"{where} {path}: missing (expected "
                       f"{want[path]['type']})")
            continue
        if path not in want:
            out.append(f"{where} {path}: unexpected {got[path]['type']}")
            continue
        _diff_fields(f"{where} {path}: ", ENTRY_FIELDS, want[path], got[path],
                     out, sep=" ")


def _diff_history(expected, actual, out):
    _diff_count("history entries", expected, actual, out)
    for i in range(max(len(expected), len(actual))):
        a = expected[i] if i < len(expected) else None
        b = actual[i] if i < len(actual) else None
        if a is None:
            out.append(f"history[{i}]: unexpected {_show(b)}")
        elif b is None:
            out.append(f"history[{i}]: missing {_show(a)}")
        else:
            _diff_fields(f"history[{i}].", ("created_by", "empty_layer"), a, b,
                         out)


def _diff_layers(expected, actual, out):
    _diff_count("added layers", expected, actual, out)
    for i in range(min(len(expected), len(actual))):
        label = expected[i].get("created_by") or ""
        where = f"layer[{i}] ({label[:60]})" if label else f"layer[{i}]"
        _diff_fields(f"{where}: ", ("created_by",), expected[i], actual[i],
                     out)
        _diff_entries(where, expected[i]["entries"], actual[i]["entries"],
                      out)


def compare(expected, actual):
    """Returns the list of difference lines; empty when the images match."""
    out = []
    want_cfg = expected.get("config") or {}
    got_cfg = actual.get("config") or {}
    fields = list(want_cfg) + [f for f in got_cfg if f not in want_cfg]
    _diff_fields("config.", fields, want_cfg, got_cfg, out)
    _diff_history(expected.get("history") or [], actual.get("history") or [],
                  out)
    if expected.get("base_layers") != actual.get("base_layers"):
        out.append(f"base_layers: expected {_show(expected.get('base_layers'))}"
                   f", got {_show(actual.get('base_layers'))}")
    _diff_layers(expected.get("layers") or [], actual.get("layers") or [], out)
    _diff_entries("tree", expected.get("tree") or [], actual.get("tree") or [],
                  out)
    return out


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("expected", help="Docker's flattened image")
    parser.add_argument("actual", help="the flattened image to check")
    parser.add_argument("--max-lines", type=int, default=60,
                        help="print at most this many differences (0: all)")
    args = parser.parse_args(argv)
    try:
        expected, actual = load(args.expected), load(args.actual)
    except (OSError, json.JSONDecodeError) as e:
        print(f"compare: {e}", file=sys.stderr)
        return 2
    diffs = compare(expected, actual)
    shown = diffs if args.max_lines <= 0 else diffs[:args.max_lines]
    for line in shown:
        print(line)
    if len(shown) < len(diffs):
        print(f"... and {len(diffs) - len(shown)} more differences")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
