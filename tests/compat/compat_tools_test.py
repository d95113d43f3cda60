#!/usr/bin/env python3
"""Tests of the compat corpus's tools: the busybox fixture, flatten, compare.

flatten is checked on archives written here (whiteouts, opaque directories,
hard links) and on a real `docker save` of one corpus case; compare is
checked to report each kind of difference on a recorded expected.json.
"""

import copy
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import compare  # noqa: E402
import flatten  # noqa: E402

FIXTURE = os.path.join(HERE, "..", "fixtures", "make_busybox_image.sh")
CASES = os.path.join(HERE, "cases")


def _member(name, kind=tarfile.REGTYPE, data=b"", mode=0o644, uid=0, gid=0,
            link=""):
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.uid, info.gid = kind, mode, uid, gid
    info.linkname = link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, (io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def _tar(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, data)
    return buf.getvalue()


def _write_archive(path, layers, config_extra=None, history=None):
    """A docker-archive at path with the given layer tars (bytes)."""
    diff_ids = ["sha256:" + hashlib.sha256(l).hexdigest() for l in layers]
    config = {"architecture": "amd64", "os": "linux",
              "config": {"Env": ["PATH=/bin"], "Cmd": ["sh"]},
              "rootfs": {"type": "layers", "diff_ids": diff_ids},
              "history": history or [{"created_by": f"step {i}"}
                                     for i in range(len(layers))]}
    config.update(config_extra or {})
    config_bytes = json.dumps(config).encode()
    files = [("config.json", config_bytes)]
    names = []
    for i, layer in enumerate(layers):
        names.append(f"l{i}/layer.tar")
        files.append((names[-1], layer))
    files.append(("manifest.json", json.dumps([{
        "Config": "config.json", "RepoTags": ["t:1"], "Layers": names}]
    ).encode()))
    with tarfile.open(path, "w") as tar:
        for name, data in files:
            info, stream = _member(name, data=data)
            tar.addfile(info, stream)


class FixtureTest(unittest.TestCase):
    def test_same_bytes_every_run_and_loadable_layout(self):
        with tempfile.TemporaryDirectory() as tmp:
            a, b = os.path.join(tmp, "a.tar"), os.path.join(tmp, "b.tar")
            subprocess.run([FIXTURE, a], check=True)
            subprocess.run([FIXTURE, b], check=True)
            with open(a, "rb") as fa, open(b, "rb") as fb:
                self.assertEqual(fa.read(), fb.read())
            doc = flatten.flatten(a)
        self.assertEqual(doc["config"]["Cmd"], ["sh"])
        self.assertEqual(doc["config"]["Env"], [
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])
        tree = {e["path"]: e for e in doc["tree"]}
        self.assertEqual(tree["/tmp"]["mode"], "1777")
        self.assertEqual((tree["/home/app"]["uid"], tree["/home/app"]["gid"]),
                         (1000, 1000))
        self.assertEqual(tree["/bin/sh"]["link"], "/bin/busybox")
        self.assertEqual(tree["/bin/busybox"]["mode"], "0755")
        for path in ("/dev", "/proc", "/sys", "/root", "/etc/resolv.conf"):
            self.assertIn(path, tree)

    def test_users_and_groups(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "bb.tar")
            subprocess.run([FIXTURE, out], check=True)
            with tarfile.open(out) as outer:
                manifest = json.load(outer.extractfile("manifest.json"))
                self.assertEqual(manifest[0]["RepoTags"], ["busybox:latest"])
                layer = outer.extractfile(manifest[0]["Layers"][0]).read()
        with tarfile.open(fileobj=io.BytesIO(layer)) as tar:
            passwd = tar.extractfile("etc/passwd").read().decode()
            group = tar.extractfile("etc/group").read().decode()
        self.assertIn("app:x:1000:1000:", passwd)
        self.assertIn("web:x:33:33:", passwd)
        self.assertIn("nobody:x:65534:65534:", passwd)
        self.assertIn("www-data:x:33:web", group)
        self.assertIn("staff:x:50:app", group)


class FlattenTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def test_whiteouts_opaque_dirs_and_links(self):
        base = _tar([
            _member("etc/", tarfile.DIRTYPE, mode=0o755),
            _member("etc/gone", data=b"x"),
            _member("etc/kept", data=b"k"),
            _member("var/", tarfile.DIRTYPE),
            _member("var/www/", tarfile.DIRTYPE, uid=33, gid=33),
            _member("var/www/old.html", data=b"old"),
        ])
        top = _tar([
            _member("etc/", tarfile.DIRTYPE),
            _member("etc/.wh.gone"),
            _member("var/www/", tarfile.DIRTYPE, mode=0o750),
            _member("var/www/.wh..wh..opq"),
            _member("var/www/new.html", data=b"new", uid=1000),
            _member("var/www/same.html", tarfile.LNKTYPE,
                    link="var/www/new.html"),
            _member("var/www/link", tarfile.SYMTYPE, mode=0o777,
                    link="new.html"),
        ])
        _write_archive(self.path("img.tar"), [base, top])
        _write_archive(self.path("base.tar"), [base])
        doc = flatten.flatten(self.path("img.tar"), self.path("base.tar"))
        self.assertEqual(len(doc["base_layers"]), 1)
        self.assertEqual(len(doc["layers"]), 1)
        self.assertEqual(doc["layers"][0]["created_by"], "step 1")
        kinds = {(e["path"], e["type"]) for e in doc["layers"][0]["entries"]}
        self.assertIn(("/etc/gone", "whiteout"), kinds)
        self.assertIn(("/var/www", "opaque"), kinds)
        self.assertIn(("/var/www/same.html", "hardlink"), kinds)
        tree = {e["path"]: e for e in doc["tree"]}
        self.assertNotIn("/etc/gone", tree)
        self.assertNotIn("/var/www/old.html", tree)
        self.assertIn("/etc/kept", tree)
        self.assertEqual(tree["/var/www"]["mode"], "0750")
        self.assertEqual(tree["/var/www/same.html"]["hardlink_of"],
                         "/var/www/new.html")
        self.assertEqual(tree["/var/www/same.html"]["uid"], 1000)
        self.assertEqual(tree["/var/www/same.html"]["sha256"],
                         hashlib.sha256(b"new").hexdigest())
        self.assertEqual(tree["/var/www/link"]["link"], "new.html")

    def test_opaque_keeps_entries_of_its_own_layer_in_any_order(self):
        top = _tar([
            _member("d/", tarfile.DIRTYPE),
            _member("d/a", data=b"a"),
            _member("d/.wh..wh..opq"),  # after a sibling: still kept
        ])
        lower = _tar([_member("d/", tarfile.DIRTYPE),
                      _member("d/old", data=b"o")])
        _write_archive(self.path("img.tar"), [lower, top])
        tree = {e["path"] for e in flatten.flatten(self.path("img.tar"))["tree"]}
        self.assertEqual(tree, {"/d", "/d/a"})

    def test_empty_config_values_read_as_null(self):
        _write_archive(self.path("img.tar"), [_tar([])], config_extra={
            "config": {"Cmd": [], "User": "", "Labels": {}, "Env": ["A=1"]}})
        cfg = flatten.flatten(self.path("img.tar"))["config"]
        self.assertIsNone(cfg["Cmd"])
        self.assertIsNone(cfg["User"])
        self.assertIsNone(cfg["Labels"])
        self.assertEqual(cfg["Env"], ["A=1"])

    def test_bad_archives_are_reported(self):
        with open(self.path("junk.tar"), "wb") as f:
            f.write(b"not a tar at all" * 64)
        with self.assertRaises(flatten.FlattenError):
            flatten.flatten(self.path("junk.tar"))
        layer = _tar([_member("x", tarfile.LNKTYPE, link="missing")])
        _write_archive(self.path("dangling.tar"), [layer])
        with self.assertRaisesRegex(flatten.FlattenError,
                                    "hard link to missing file /missing"):
            flatten.flatten(self.path("dangling.tar"))
        self.assertEqual(flatten.main([self.path("junk.tar")]), 2)

    def test_compressed_layers(self):
        import gzip
        layer = _tar([_member("f", data=b"zipped")])
        _write_archive(self.path("gz.tar"), [gzip.compress(layer, mtime=0)])
        tree = flatten.flatten(self.path("gz.tar"))["tree"]
        self.assertEqual(tree[0]["sha256"], hashlib.sha256(b"zipped").hexdigest())

    def test_real_docker_save_matches_its_recording(self):
        # A `docker save` of cases/scratch-copy, kept from the recording.
        saved = os.path.join(HERE, "testdata", "scratch-copy.docker.tar")
        text = flatten.dumps(flatten.flatten(saved))
        with open(os.path.join(CASES, "scratch-copy", "expected.json"),
                  encoding="utf-8") as f:
            self.assertEqual(text, f.read())
        self.assertEqual(flatten.dumps(flatten.flatten(saved)), text)


class CompareTest(unittest.TestCase):
    def setUp(self):
        with open(os.path.join(CASES, "copy-chmod", "expected.json"),
                  encoding="utf-8") as f:
            self.expected = json.load(f)
        self.actual = copy.deepcopy(self.expected)

    def tree_entry(self, path):
        return next(e for e in self.actual["tree"] if e["path"] == path)

    def test_identical_documents_have_no_differences(self):
        self.assertEqual(compare.compare(self.expected, self.actual), [])

    def test_changed_mode(self):
        self.tree_entry("/m/a600")["mode"] = "0644"
        self.assertEqual(compare.compare(self.expected, self.actual),
                         ['tree /m/a600: mode expected "0600", got "0644"'])

    def test_changed_owner(self):
        entry = self.tree_entry("/m/a640")
        entry["uid"], entry["gid"] = 0, 0
        self.assertEqual(compare.compare(self.expected, self.actual), [
            "tree /m/a640: uid expected 1000, got 0",
            "tree /m/a640: gid expected 1000, got 0"])

    def test_changed_content(self):
        self.tree_entry("/m/suid")["sha256"] = "0" * 64
        diffs = compare.compare(self.expected, self.actual)
        self.assertEqual(len(diffs), 1)
        self.assertRegex(diffs[0], r'^tree /m/suid: sha256 expected "bf66.*", '
                         r'got "0000')

    def test_missing_and_unexpected_files(self):
        self.actual["tree"] = [e for e in self.actual["tree"]
                               if e["path"] != "/m/multi/a.txt"]
        self.actual["layers"][-1]["entries"].append(
            {"path": "/m/multi/extra", "type": "file", "mode": "0644",
             "uid": 0, "gid": 0, "size": 0, "sha256": "e3b0"})
        self.assertEqual(compare.compare(self.expected, self.actual), [
            "layer[6] (COPY tool.sh a.txt /m/multi/ # buildkit) "
            "/m/multi/extra: unexpected file",
            "tree /m/multi/a.txt: missing (expected file)"])

    def test_config_difference(self):
        self.actual["config"]["User"] = "app"
        self.actual["config"]["Cmd"] = ["/bin/sh"]
        self.assertEqual(compare.compare(self.expected, self.actual), [
            'config.User: expected null, got "app"',
            'config.Cmd: expected ["sh"], got ["/bin/sh"]'])

    def test_history_difference(self):
        self.actual["history"][1]["created_by"] = "COPY --chmod=600 a.txt /m/a600"
        self.actual["history"][2]["empty_layer"] = True
        self.actual["history"].append({"created_by": "extra",
                                       "empty_layer": True})
        self.assertEqual(compare.compare(self.expected, self.actual), [
            "history entries: expected 8, got 9",
            'history[1].created_by: expected "COPY a.txt /m/a600 # buildkit", '
            'got "COPY --chmod=600 a.txt /m/a600"',
            "history[2].empty_layer: expected false, got true",
            'history[8]: unexpected {"created_by": "extra", '
            '"empty_layer": true}'])

    def test_layer_count_and_main_exit_codes(self):
        self.actual["layers"].pop()
        diffs = compare.compare(self.expected, self.actual)
        self.assertEqual(diffs[0], "added layers: expected 7, got 6")
        with tempfile.TemporaryDirectory() as tmp:
            a, b = os.path.join(tmp, "a.json"), os.path.join(tmp, "b.json")
            with open(a, "w") as f:
                json.dump(self.expected, f)
            with open(b, "w") as f:
                json.dump(self.actual, f)
            self.assertEqual(compare.main([a, a]), 0)
            self.assertEqual(compare.main([a, b, "--max-lines", "1"]), 1)
            self.assertEqual(compare.main([a, os.path.join(tmp, "none")]), 2)


if __name__ == "__main__":
    unittest.main()
