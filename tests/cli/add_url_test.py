"""ADD <url> end to end: an embedded farm builds from a local HTTP server,
with and without --checksum, and the file lands in the image as Docker puts
it (named after the URL, mode 0600); a wrong checksum and a 404 fail the
build naming the line and the URL."""

import hashlib
import http.server
import os
import subprocess
import sys
import tarfile
import tempfile
import threading
import unittest

FARM, MAKE_IMAGE = (os.path.abspath(p) for p in sys.argv[1:3])
del sys.argv[1:3]

PAYLOAD = b"downloaded by ADD\n"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/files/tool.txt":
            self.send_response(200)
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            self.wfile.write(PAYLOAD)
        else:
            self.send_error(404)

    def log_message(self, *args):
        pass


class AddUrlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        cls.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.base = f"http://127.0.0.1:{cls.server.server_address[1]}"
        cls.root = os.path.join(cls.tmp, "root")
        image = os.path.join(cls.tmp, "busybox.tar")
        subprocess.run([MAKE_IMAGE, image], check=True)
        subprocess.run([FARM, "--root", cls.root, "load", "-i", image],
                       check=True, capture_output=True)

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()

    def build(self, name, dockerfile, allow="127.0.0.1"):
        """Builds with the embedded farm; `allow` lists the hosts ADD may
        fetch from besides public addresses (FARM_ALLOW_FETCH_HOSTS)."""
        ctx = os.path.join(self.tmp, name)
        os.makedirs(ctx, exist_ok=True)
        with open(os.path.join(ctx, "Dockerfile"), "w") as f:
            f.write(dockerfile)
        out = os.path.join(self.tmp, f"{name}.tar")
        env = dict(os.environ)
        env.pop("FARM_ALLOW_FETCH_HOSTS", None)
        if allow:
            env["FARM_ALLOW_FETCH_HOSTS"] = allow
        proc = subprocess.run(
            [FARM, "--root", self.root, "build", "--progress", "plain",
             "--output", f"type=docker,dest={out}", ctx],
            capture_output=True, text=True, timeout=300, env=env)
        return proc, out

    def added_file(self, archive, path):
        """(mode, content) of `path` in the image's last layer."""
        with tarfile.open(archive) as outer:
            import json
            manifest = json.load(outer.extractfile("manifest.json"))[0]
            layer = outer.extractfile(manifest["Layers"][-1])
            with tarfile.open(fileobj=layer) as inner:
                member = inner.getmember(path)
                return member.mode, inner.extractfile(member).read()

    def test_add_url_with_checksum(self):
        digest = "sha256:" + hashlib.sha256(PAYLOAD).hexdigest()
        proc, out = self.build(
            "ok", f"FROM busybox\nADD --checksum={digest} "
                  f"{self.base}/files/tool.txt /opt/\n")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        mode, content = self.added_file(out, "opt/tool.txt")
        self.assertEqual(content, PAYLOAD)
        self.assertEqual(mode & 0o7777, 0o600)

    def test_add_url_without_checksum_to_a_file_name(self):
        proc, out = self.build(
            "plain", f"FROM busybox\nADD {self.base}/files/tool.txt /renamed\n")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.added_file(out, "renamed")[1], PAYLOAD)

    def test_wrong_checksum_fails_naming_the_line(self):
        wrong = "sha256:" + "0" * 64
        proc, _ = self.build(
            "bad", f"FROM busybox\nRUN true\nADD --checksum={wrong} "
                   f"{self.base}/files/tool.txt /x\n")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("Dockerfile:3", proc.stderr)
        self.assertIn("/files/tool.txt", proc.stderr)

    def test_loopback_is_refused_unless_allowed(self):
        # The scheduler never fetches from its own host's loopback (or
        # link-local, or private addresses) unless told it may.
        for host in ("127.0.0.1", "localhost"):
            url = self.base.replace("127.0.0.1", host) + "/files/tool.txt"
            proc, _ = self.build(f"refused-{host}",
                                 f"FROM busybox\nADD {url} /x\n", allow="")
            self.assertEqual(proc.returncode, 1, proc.stderr)
            self.assertIn("Dockerfile:2", proc.stderr)
            self.assertIn("a loopback address", proc.stderr)
            self.assertIn("FARM_ALLOW_FETCH_HOSTS", proc.stderr)
        # Listing one name does not allow another that resolves alike.
        url = self.base.replace("127.0.0.1", "localhost") + "/files/tool.txt"
        proc, _ = self.build("refused-other-name",
                             f"FROM busybox\nADD {url} /x\n")
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("a loopback address", proc.stderr)

    def test_missing_url_fails(self):
        proc, _ = self.build(
            "missing", f"FROM busybox\nADD {self.base}/nope.txt /x\n")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("Dockerfile:2", proc.stderr)
        self.assertIn("404", proc.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
