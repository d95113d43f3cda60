"""The Swift S3 harness end to end: curl's own SigV4 against a real s3api, the
answers farm's S3 store relies on (a body that does not match its signed
x-amz-content-sha256 is refused), and the serve CLI leaving no process
behind whether its stdin closes, it is told to stop or it is killed."""

import hashlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from swift_s3 import SWIFT_PYTHON, SwiftS3  # noqa: E402

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
BUCKET = "farm-test"


def tmpdir():
    return tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))


def processes_mentioning(text):
    """Live processes whose command line holds `text` (zombies have none)."""
    pids = []
    for entry in os.listdir("/proc"):
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                if text.encode() in f.read():
                    pids.append(int(entry))
        except (OSError, ValueError):
            pass
    return pids


class Curl:
    """Runs the curl CLI with its own SigV4 signing against one endpoint."""

    def __init__(self, endpoint, access_key, secret_key, region, workdir):
        self.endpoint = endpoint
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self.workdir = workdir

    def __call__(self, method, path, body=None, sha256=None, secret=None,
                 headers=()):
        """Returns (status, headers as a lower-cased dict, body)."""
        out = os.path.join(self.workdir, "out")
        head = os.path.join(self.workdir, "head")
        # curl's --user splits at the first ':', and tempauth's access key
        # is "account:user"; percent-encoded user info in the URL is not.
        parts = urllib.parse.urlsplit(self.endpoint)
        userinfo = "%s:%s" % (urllib.parse.quote(self.access_key, safe=""),
                              urllib.parse.quote(secret or self.secret_key,
                                                 safe=""))
        url = "%s://%s@%s%s" % (parts.scheme, userinfo, parts.netloc, path)
        args = ["curl", "-sS", "-o", out, "-D", head, "-w", "%{http_code}",
                "--aws-sigv4", "aws:amz:%s:s3" % self.region]
        if body is not None:
            # An upload, as farm's client does it (Expect: 100-continue
            # above 1 MiB).
            upload = os.path.join(self.workdir, "upload")
            with open(upload, "wb") as f:
                f.write(body)
            args += ["-T", upload]
        if method == "HEAD":
            args += ["--head"]
        elif body is None or method != "PUT":
            args += ["-X", method]
        # curl 7.88 does not add this header itself, and s3api requires it;
        # sha256="" leaves it out.
        if sha256 is None:
            sha256 = hashlib.sha256(body or b"").hexdigest()
        if sha256:
            args += ["-H", "x-amz-content-sha256: " + sha256]
        for h in headers:
            args += ["-H", h]
        result = subprocess.run(args + [url], capture_output=True, text=True,
                                timeout=60)
        if result.returncode != 0:
            raise AssertionError("curl failed: %s" % result.stderr)
        with open(out, "rb") as f:
            data = f.read() if method != "HEAD" else b""
        with open(head) as f:
            lines = f.read().splitlines()
        fields = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                fields[k.strip().lower()] = v.strip()
        return int(result.stdout), fields, data


def error_code(body):
    text = body.decode()
    return text.split("<Code>", 1)[1].split("</Code>", 1)[0]


class S3ApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.swift = SwiftS3(tmpdir())
        cls.swift.start()
        print("swift started in %.2fs" % cls.swift.startup_seconds,
              file=sys.stderr)
        cls.swift.make_bucket(BUCKET)
        cls.curl = Curl(cls.swift.endpoint, cls.swift.access_key,
                        cls.swift.secret_key, cls.swift.region, tmpdir())

    @classmethod
    def tearDownClass(cls):
        cls.swift.stop()

    def test_attributes(self):
        self.assertRegex(self.swift.endpoint, r"^http://127\.0\.0\.1:\d+$")
        self.assertEqual(self.swift.access_key, "farm:tester")
        self.assertEqual(self.swift.secret_key, "testing")
        self.assertEqual(self.swift.region, "us-east-1")

    def test_bucket_creation(self):
        status, _, body = self.curl("GET", "/" + BUCKET)
        self.assertEqual(status, 200, body)
        self.assertIn(b"<Name>farm-test</Name>", body)

        status, _, body = self.curl("PUT", "/made-by-curl")
        self.assertEqual(status, 200, body)
        status, _, _ = self.curl("HEAD", "/made-by-curl")
        self.assertEqual(status, 200)
        status, _, body = self.curl("PUT", "/made-by-curl")
        self.assertEqual((status, error_code(body)),
                         (409, "BucketAlreadyOwnedByYou"))

    def test_put_head_get(self):
        for size in (0, 1000, 3 << 20):
            key = "/%s/blobs/sha256-%d" % (BUCKET, size)
            body = os.urandom(size)
            with self.subTest(size=size):
                status, _, answer = self.curl("PUT", key, body)
                self.assertEqual(status, 200, answer)

                status, head, _ = self.curl("HEAD", key)
                self.assertEqual(status, 200)
                self.assertEqual(int(head["content-length"]), size)
                self.assertEqual(head["etag"],
                                 '"%s"' % hashlib.md5(body).hexdigest())

                status, _, got = self.curl("GET", key)
                self.assertEqual(status, 200)
                self.assertEqual(got, body)

    def test_range_get(self):
        key = "/%s/ranged" % BUCKET
        body = bytes(range(256)) * 4
        self.assertEqual(self.curl("PUT", key, body)[0], 200)
        status, _, got = self.curl("GET", key, headers=["Range: bytes=10-19"])
        self.assertEqual((status, got), (206, body[10:20]))

    def test_mismatched_content_sha256_is_refused(self):
        # Swift 2.30 hashes the body as it streams in and refuses it at the
        # end: 400 BadDigest (its message wrongly names Content-MD5), and
        # nothing is stored.
        key = "/%s/lying" % BUCKET
        for size in (11, 3 << 20):
            with self.subTest(size=size):
                status, _, body = self.curl(
                    "PUT", key, os.urandom(size),
                    sha256=hashlib.sha256(b"something else").hexdigest())
                self.assertEqual((status, error_code(body)),
                                 (400, "BadDigest"), body)
                self.assertEqual(self.curl("HEAD", key)[0], 404)

    def test_unsigned_payload_is_accepted(self):
        key = "/%s/unsigned" % BUCKET
        status, _, body = self.curl("PUT", key, b"not hashed",
                                    sha256="UNSIGNED-PAYLOAD")
        self.assertEqual(status, 200, body)
        self.assertEqual(self.curl("GET", key)[2], b"not hashed")

    def test_missing_content_sha256_header_is_refused(self):
        status, _, body = self.curl("GET", "/" + BUCKET, sha256="")
        self.assertEqual((status, error_code(body)), (400, "InvalidRequest"))

    def test_missing_key(self):
        key = "/%s/no-such-key" % BUCKET
        self.assertEqual(self.curl("HEAD", key)[0], 404)
        status, _, body = self.curl("GET", key)
        self.assertEqual((status, error_code(body)), (404, "NoSuchKey"))

    def test_delete(self):
        key = "/%s/doomed" % BUCKET
        self.assertEqual(self.curl("PUT", key, b"bye")[0], 200)
        self.assertEqual(self.curl("DELETE", key)[0], 204)
        self.assertEqual(self.curl("HEAD", key)[0], 404)
        # As in S3, deleting what is not there succeeds.
        self.assertEqual(self.curl("DELETE", key)[0], 204)

    def test_wrong_secret_is_403(self):
        status, _, body = self.curl("GET", "/" + BUCKET, secret="wrong")
        self.assertEqual((status, error_code(body)),
                         (403, "SignatureDoesNotMatch"))


class ServeCliTest(unittest.TestCase):
    def spawn(self):
        workdir = tmpdir()
        proc = subprocess.Popen(
            [SWIFT_PYTHON, os.path.join(HERE, "swift_s3.py"), "serve",
             "--dir", workdir, "--bucket", "cli-bucket"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.addCleanup(self.reap, proc)
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        self.assertTrue(ready, "no JSON line within 60s")
        line = proc.stdout.readline()
        info = json.loads(line)
        self.assertEqual(sorted(info), ["access_key", "bucket", "endpoint",
                                        "region", "secret_key"])
        self.assertEqual(info["bucket"], "cli-bucket")
        curl = Curl(info["endpoint"], info["access_key"], info["secret_key"],
                    info["region"], tmpdir())
        self.assertEqual(curl("HEAD", "/cli-bucket")[0], 200)
        # serve, the supervisor and four servers.
        self.assertEqual(len(processes_mentioning(workdir)), 6)
        return proc, workdir

    def reap(self, proc):
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stdin.close()

    def assert_all_gone(self, workdir, grace):
        deadline = time.monotonic() + grace
        while processes_mentioning(workdir) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(processes_mentioning(workdir), [])

    def test_stops_when_stdin_closes(self):
        proc, workdir = self.spawn()
        proc.stdin.close()
        self.assertEqual(proc.wait(timeout=30), 0)
        # serve waited for the supervisor, which reaped every server.
        self.assert_all_gone(workdir, grace=0)

    def test_stops_on_sigterm(self):
        proc, workdir = self.spawn()
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(timeout=30), 0)
        self.assert_all_gone(workdir, grace=0)

    def test_nothing_outlives_a_killed_serve(self):
        proc, workdir = self.spawn()
        proc.kill()
        proc.wait()
        # PR_SET_PDEATHSIG: the supervisor dies with serve, the servers
        # with it; the kernel delivers those SIGKILLs at once.
        self.assert_all_gone(workdir, grace=5)


if __name__ == "__main__":
    unittest.main(verbosity=2)
