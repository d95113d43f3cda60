"""The trust boundary of a shared farm, end to end: a farm-scheduler over
TLS with tokens and client certificates, real workers, two tenants, and the
real `farm` CLI; raw gRPC calls (Debian's python3-grpcio) where the CLI has
no verb, to play a hostile client.

  run_security_test.sh FARM SCHEDULER WORKER CACHE MAKE_IMAGE MAKE_PKI
"""

import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "distributed"))
from cluster import Cluster, import_protos, wait_for  # noqa: E402

FARM, SCHEDULER, WORKER, CACHE, MAKE_IMAGE, MAKE_PKI = (
    os.path.abspath(p) for p in sys.argv[1:7])
del sys.argv[1:7]

import grpc  # noqa: E402  (Debian's python3-grpcio)

import_protos(ROOT, "build.proto", "cache.proto", "context.proto",
              "image.proto")
from proto import build_pb2, cache_pb2, image_pb2  # noqa: E402


def raw_call(address, ca, token, method, request, response_type):
    """One unary call with `token`; returns (status code, response)."""
    channel = grpc.secure_channel(
        address, grpc.ssl_channel_credentials(root_certificates=ca))
    call = channel.unary_unary(method,
                               request_serializer=lambda m: m.SerializeToString(),
                               response_deserializer=response_type.FromString)
    metadata = [("authorization", f"Bearer {token}")] if token else []
    try:
        return grpc.StatusCode.OK, call(request, metadata=metadata, timeout=30)
    except grpc.RpcError as e:
        return e.code(), e.details()
    finally:
        channel.close()


def read(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")


class SecurityTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="farm-security-",
                                   dir=os.environ.get("TEST_TMPDIR"))
        cls.pki = os.path.join(cls.tmp, "pki")
        subprocess.run([MAKE_PKI, cls.pki], check=True)
        cls.cluster = Cluster(FARM, SCHEDULER, WORKER, workers=1, pki=cls.pki)
        cls.ca = open(os.path.join(cls.pki, "ca.pem"), "rb").read()
        image = os.path.join(cls.tmp, "busybox.tar")
        subprocess.run([MAKE_IMAGE, image], check=True)
        for who in ("a", "b"):
            cls.cluster.run("load", "-i", image, who=who)
        run = cls.cluster.build(cls.context("app-a", """
FROM busybox
RUN echo made-by-a > /a
"""), "-t", "app-a:1", who="a")
        assert run.result and run.result["ok"], run.output()
        cls.a_build = run

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def context(cls, name, dockerfile):
        return cls.cluster.context(name, dockerfile)

    def farm(self, *args, who="a", check=False, env=None, input=None):
        if env is None:
            return self.cluster.run(*args, who=who, check=check, input=input)
        return subprocess.run([FARM, "--remote", self.cluster.address, *args],
                              capture_output=True, text=True, env=env,
                              timeout=120, input=input)

    def raw(self, who, method, request, response_type):
        token = self.cluster.token(who) if who else None
        return raw_call(self.cluster.address, self.ca, token, method, request,
                        response_type)

    def stats(self):
        return json.loads(self.farm("stats", who="admin", check=True).stdout)

    # --- identities -------------------------------------------------------

    def test_no_credentials_is_a_clear_error_and_builds_nothing(self):
        listed = self.farm("images", who=None)
        self.assertEqual(listed.returncode, 1)
        self.assertIn("did not accept this client's credentials",
                      listed.stderr)
        self.assertIn("FARM_TOKEN", listed.stderr)
        before = self.stats()["builds_started"]
        run = self.cluster.build(self.context("anon", "FROM busybox\n"),
                                 who=None)
        self.assertNotEqual(run.proc.returncode, 0)
        self.assertIn("did not accept this client's credentials",
                      run.output())
        self.assertEqual(self.stats()["builds_started"], before)

    def test_an_unknown_token_is_refused(self):
        env = self.cluster.env(None)
        env["FARM_TOKEN"] = "not-a-token-this-farm-knows"
        listed = self.farm("images", env=env)
        self.assertEqual(listed.returncode, 1)
        self.assertIn("did not accept", listed.stderr)
        self.assertNotIn("not-a-token-this-farm-knows", listed.stderr)

    def test_plaintext_to_the_tls_port_fails(self):
        env = self.cluster.env("a")
        del env["FARM_TLS_CA"]
        listed = self.farm("images", env=env)
        self.assertEqual(listed.returncode, 1)
        self.assertIn("cannot reach the farm", listed.stderr)
        self.assertIn("FARM_TLS_CA", listed.stderr)

    def test_client_certificates_are_identities(self):
        env = self.cluster.env(None)
        env["FARM_TLS_CERT"] = os.path.join(self.pki, "client-a.pem")
        env["FARM_TLS_KEY"] = os.path.join(self.pki, "client-a.key")
        listed = self.farm("images", env=env)
        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertIn("app-a", listed.stdout)  # CN=team-a is tenant team-a
        self.assertNotEqual(self.farm("workers", env=env).returncode, 0)
        env["FARM_TLS_CERT"] = os.path.join(self.pki, "admin.pem")
        env["FARM_TLS_KEY"] = os.path.join(self.pki, "admin.key")
        workers = self.farm("workers", env=env)
        self.assertEqual(workers.returncode, 0, workers.stderr)
        self.assertIn("w1", workers.stdout)
        for bad in ("client-expired", "client-other-ca"):
            env["FARM_TLS_CERT"] = os.path.join(self.pki, f"{bad}.pem")
            env["FARM_TLS_KEY"] = os.path.join(self.pki, f"{bad}.key")
            refused = self.farm("images", env=env)
            self.assertEqual(refused.returncode, 1, bad)
            self.assertIn("FARM_TLS_CERT", refused.stderr, bad)

    def test_login_stores_the_token_owner_only(self):
        env = self.cluster.env(None)
        env["FARM_CONFIG"] = os.path.join(self.tmp, "login-config")
        bad = subprocess.run(
            [FARM, "login", "--remote", self.cluster.address, "--token-stdin"],
            input="wrong-token-of-some-length\n", capture_output=True,
            text=True, env=env)
        self.assertEqual(bad.returncode, 1)
        self.assertFalse(os.path.exists(
            os.path.join(env["FARM_CONFIG"], "config.json")))
        good = subprocess.run(
            [FARM, "login", "--remote", self.cluster.address, "--token-stdin"],
            input=self.cluster.token("a") + "\n", capture_output=True,
            text=True, env=env)
        self.assertEqual(good.returncode, 0, good.stderr)
        self.assertIn("Login Succeeded", good.stdout)
        config = os.path.join(env["FARM_CONFIG"], "config.json")
        self.assertEqual(os.stat(config).st_mode & 0o777, 0o600)
        listed = self.farm("images", env=env)
        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertIn("app-a", listed.stdout)

    # --- workers ----------------------------------------------------------

    def test_a_client_token_cannot_register_a_worker(self):
        proc = self.cluster.start_worker("impostor", token="a")
        log = self.cluster.logs[-1]
        try:
            wait_for(lambda: "register as a worker" in read(log),
                     what="the refusal in the impostor's log")
            self.assertNotIn("impostor", self.cluster.workers_listed())
        finally:
            proc.kill()
            proc.wait()
            del self.cluster.workers["impostor"]

    def test_a_second_worker_with_a_live_id_is_refused(self):
        live = self.cluster.workers["w1"]
        proc = self.cluster.start_worker(
            "w1", root=os.path.join(self.tmp, "second-w1"))
        log = self.cluster.logs[-1]
        try:
            wait_for(lambda: "already connected" in read(log),
                     what="the refusal in the second w1's log")
            self.assertEqual(self.cluster.workers_listed(), ["w1"])
            run = self.cluster.build(self.context("still-served", """
FROM busybox
RUN echo still-served > /s
"""), who="a")
            self.assertTrue(run.result and run.result["ok"], run.output())
        finally:
            proc.kill()
            proc.wait()
            self.cluster.workers["w1"] = live

    # --- tenants ----------------------------------------------------------

    def test_tenant_b_cannot_see_or_touch_tenant_as_images(self):
        self.assertIn("app-a", self.farm("images", who="a").stdout)
        self.assertNotIn("app-a", self.farm("images", who="b").stdout)
        image_id = json.loads(
            self.farm("inspect", "app-a:1", who="a", check=True).stdout
        )[0]["Id"]
        for args in (["inspect", "app-a:1"], ["inspect", image_id],
                     ["tag", "app-a:1", "stolen:1"], ["rmi", "app-a:1"],
                     ["history", image_id[7:19]]):
            denied = self.farm(*args, who="b")
            self.assertEqual(denied.returncode, 1, args)
            self.assertIn("No such image", denied.stderr, args)
        self.assertEqual(
            self.farm("image", "prune", "-a", "-f", who="b").returncode, 0)
        self.assertIn("app-a", self.farm("images", who="a").stdout)
        # FROM resolves in the tenant's own images only.
        run = self.cluster.build(self.context("b-from-a", "FROM app-a:1\n"),
                                 who="b", timeout=300)
        self.assertFalse(run.result and run.result["ok"], run.output())
        self.assertIn("app-a:1", run.output())
        # B's tag of the same name is B's alone.
        self.farm("load", "-i", os.path.join(self.tmp, "busybox.tar"),
                  who="b", check=True)
        self.farm("tag", "busybox", "app-a:1", who="b", check=True)
        a_id = json.loads(self.farm("inspect", "app-a:1", who="a").stdout)
        self.assertEqual(a_id[0]["Id"], image_id)
        # The admin sees both tenants.
        listed = self.farm("images", who="admin", check=True).stdout
        self.assertIn("TENANT", listed.splitlines()[0])
        self.assertIn("team-a", listed)
        self.assertIn("team-b", listed)

    def test_farm_run_reads_only_the_tenants_own_images(self):
        ran = self.farm("run", "--rm", "app-a:1", "cat", "/a", who="a")
        self.assertEqual(ran.returncode, 0, ran.stderr)
        self.assertEqual(ran.stdout.strip(), "made-by-a")
        denied = self.farm("run", "--rm", "app-a:1", "cat", "/a", who="b")
        self.assertNotEqual(denied.returncode, 0)
        self.assertIn("No such image", denied.stderr)
        # The blob service hands out only the blobs of the named image.
        code, image = self.raw(
            "a", "/farm.proto.ImageService/InspectImage",
            image_pb2.InspectImageRequest(reference="app-a:1"),
            image_pb2.InspectImageResponse)
        self.assertEqual(code, grpc.StatusCode.OK, image)
        layer = json.loads(image.manifest)["layers"][-1]["digest"]
        channel = grpc.secure_channel(
            self.cluster.address,
            grpc.ssl_channel_credentials(root_certificates=self.ca))
        read = channel.unary_stream(
            "/farm.proto.ImageService/ReadImageBlob",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=image_pb2.ArchiveChunk.FromString)
        def fetch(who, reference, digest):
            metadata = [("authorization",
                         f"Bearer {self.cluster.token(who)}")]
            try:
                data = b"".join(c.data for c in read(
                    image_pb2.ReadImageBlobRequest(reference=reference,
                                                   digest=digest),
                    metadata=metadata, timeout=30))
                return grpc.StatusCode.OK, data
            except grpc.RpcError as e:
                return e.code(), b""
        code, data = fetch("a", "app-a:1", layer)
        self.assertEqual(code, grpc.StatusCode.OK)
        self.assertGreater(len(data), 0)
        self.assertEqual(fetch("b", "app-a:1", layer)[0],
                         grpc.StatusCode.NOT_FOUND)
        other = "sha256:" + "0" * 64
        self.assertEqual(fetch("a", "app-a:1", other)[0],
                         grpc.StatusCode.NOT_FOUND)
        channel.close()

    def test_tenant_b_cannot_see_or_attach_to_tenant_as_builds(self):
        build_id = self.a_build.output().split('"build_id":"')[1].split('"')[0]
        self.assertRegex(build_id, r"^b[0-9a-f]{20}$")
        self.assertIn(build_id, self.farm("builds", who="a").stdout)
        self.assertNotIn(build_id, self.farm("builds", who="b").stdout)
        self.assertIn(build_id, self.farm("builds", who="admin").stdout)
        channel = grpc.secure_channel(
            self.cluster.address,
            grpc.ssl_channel_credentials(root_certificates=self.ca))
        stream = channel.stream_stream(
            "/farm.proto.BuildService/Build",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=build_pb2.BuildServerMessage.FromString)
        attach = build_pb2.BuildClientMessage()
        attach.attach.build_id = build_id
        for who, allowed in (("b", False), ("a", True)):
            metadata = [("authorization",
                         f"Bearer {self.cluster.token(who)}")]
            try:
                replies = list(stream(iter([attach]), metadata=metadata,
                                      timeout=30))
                code = grpc.StatusCode.OK
            except grpc.RpcError as e:
                code, replies = e.code(), []
            if allowed:
                self.assertEqual(code, grpc.StatusCode.OK)
                self.assertTrue(any(r.HasField("result") for r in replies))
            else:
                self.assertEqual(code, grpc.StatusCode.PERMISSION_DENIED)
        channel.close()

    def test_action_results_are_per_tenant(self):
        dockerfile = "FROM busybox\nRUN echo same-in-both > /same\n"
        first = self.cluster.build(self.context("same-a", dockerfile),
                                   who="a")
        self.assertEqual(first.result["jobs_dispatched"], 1, first.output())
        other = self.cluster.build(self.context("same-b", dockerfile),
                                   who="b")
        self.assertTrue(other.result["ok"], other.output())
        self.assertEqual(other.result["jobs_dispatched"], 1, other.output())
        again = self.cluster.build(self.context("same-a", dockerfile),
                                   who="a")
        self.assertEqual(again.result["jobs_dispatched"], 0, again.output())

    def test_secrets_key_the_steps_that_mount_them(self):
        ctx = self.context("secret-key", """
FROM busybox
RUN --mount=type=secret,id=s cat /run/secrets/s >/dev/null 2>&1; echo ran
""")
        def build(value):
            args = []
            if value is not None:
                path = os.path.join(self.tmp, "secret-value")
                with open(path, "w") as f:
                    f.write(value)
                args = ["--secret", f"id=s,src={path}"]
            run = self.cluster.build(ctx, *args, who="a")
            self.assertTrue(run.result and run.result["ok"], run.output())
            return run.result["jobs_dispatched"]
        self.assertEqual(build("one"), 1)
        self.assertEqual(build("one"), 0)
        self.assertEqual(build("two"), 1)
        self.assertEqual(build(None), 1)

    # --- the cache --------------------------------------------------------

    def test_only_workers_write_the_action_cache_and_first_writes_stay(self):
        # Two cached steps with different layers.
        get = "/farm.proto.CacheService/GetActionResult"
        results = {}
        for key in sorted(self.stats()["runs_by_stage_key"]):
            code, result = self.raw("worker", get,
                                    cache_pb2.GetActionResultRequest(key=key),
                                    cache_pb2.ActionResult)
            self.assertEqual(code, grpc.StatusCode.OK, result)
            if result.HasField("layer"):
                results.setdefault(result.layer.digest, (key, result))
        self.assertGreaterEqual(len(results), 2, results)
        (first_key, first), (_, other) = list(results.values())[:2]
        poison = cache_pb2.UpdateActionResultRequest(key=first_key)
        poison.result.CopyFrom(other)
        update = "/farm.proto.CacheService/UpdateActionResult"
        for who in ("a", None):
            code, _ = self.raw(who, update, poison,
                               cache_pb2.UpdateActionResultResponse)
            self.assertIn(code, (grpc.StatusCode.PERMISSION_DENIED,
                                 grpc.StatusCode.UNAUTHENTICATED), who)
            code, _ = self.raw(who, get,
                               cache_pb2.GetActionResultRequest(key=first_key),
                               cache_pb2.ActionResult)
            self.assertIn(code, (grpc.StatusCode.PERMISSION_DENIED,
                                 grpc.StatusCode.UNAUTHENTICATED), who)
        conflicts = self.dropped_writes()
        code, _ = self.raw("worker", update, poison,
                           cache_pb2.UpdateActionResultResponse)
        self.assertEqual(code, grpc.StatusCode.OK)
        code, kept = self.raw("worker", get,
                              cache_pb2.GetActionResultRequest(key=first_key),
                              cache_pb2.ActionResult)
        self.assertEqual(kept.layer.digest, first.layer.digest)
        self.assertEqual(self.dropped_writes(), conflicts + 1)

    def dropped_writes(self):
        """`farm cache stats`' count of action writes the cache dropped."""
        table = self.farm("cache", "stats", who="admin", check=True).stdout
        return int(re.search(r"action writes dropped\s+(\d+)", table).group(1))

    def test_pinned_blobs_cannot_be_deleted_and_delete_is_admin_only(self):
        code, image = self.raw(
            "a", "/farm.proto.ImageService/InspectImage",
            image_pb2.InspectImageRequest(reference="app-a:1"),
            image_pb2.InspectImageResponse)
        self.assertEqual(code, grpc.StatusCode.OK, image)
        layer = json.loads(image.manifest)["layers"][-1]["digest"]
        request = cache_pb2.DeleteRequest(digests=[layer])
        for who in ("a", "worker"):
            code, _ = self.raw(who, "/farm.proto.CacheService/Delete",
                               request, cache_pb2.DeleteResponse)
            self.assertEqual(code, grpc.StatusCode.PERMISSION_DENIED, who)
        code, detail = self.raw("admin", "/farm.proto.CacheService/Delete",
                                request, cache_pb2.DeleteResponse)
        self.assertEqual(code, grpc.StatusCode.FAILED_PRECONDITION, detail)
        self.assertIn("stored image", detail)
        # A client reads no blob directly, even one of its own images.
        code, _ = self.raw("a", "/farm.proto.CacheService/BatchRead",
                           cache_pb2.BatchReadRequest(digests=[layer]),
                           cache_pb2.BatchReadResponse)
        self.assertEqual(code, grpc.StatusCode.PERMISSION_DENIED)

    # --- entitlements and fetches -----------------------------------------

    def test_insecure_and_host_network_need_both_switches(self):
        for flag, entitlement in (("--security=insecure", "security.insecure"),
                                  ("--network=host", "network.host")):
            ctx = self.context(f"ent-{entitlement}",
                               f"FROM busybox\nRUN {flag} true\n")
            for extra in ([], ["--allow", entitlement]):
                run = self.cluster.build(ctx, *extra, who="a")
                self.assertFalse(run.result["ok"], run.output())
                error = run.result["error"]
                self.assertIn("Dockerfile:2", error)
                self.assertIn(f"--allow-entitlement {entitlement}", error)
                if not extra:
                    self.assertIn(f"--allow {entitlement}", error)

    def test_add_from_loopback_is_refused_by_default(self):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}/x"
            run = self.cluster.build(
                self.context("add-loopback", f"FROM busybox\nADD {url} /x\n"),
                who="a")
            self.assertFalse(run.result["ok"], run.output())
            self.assertIn("loopback", run.result["error"])
            self.assertIn("--allow-fetch-host 127.0.0.1", run.result["error"])
        finally:
            server.shutdown()


class ServerSecurityTest(unittest.TestCase):
    """Start-up rules, rotation and farm-cache, on servers of their own."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="farm-servers-",
                                   dir=os.environ.get("TEST_TMPDIR"))
        cls.pki = os.path.join(cls.tmp, "pki")
        subprocess.run([MAKE_PKI, cls.pki], check=True)
        cls.procs = []

    @classmethod
    def tearDownClass(cls):
        for proc in cls.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def p(self, name):
        return os.path.join(self.pki, name)

    def start(self, argv, port_pattern=r"on port (\d+)"):
        log = open(os.path.join(self.tmp, f"log-{len(self.procs)}"), "w+b")
        proc = subprocess.Popen(argv, stdout=log, stderr=log)
        self.procs.append(proc)
        def port():
            m = re.search(port_pattern, read(log.name))
            return m.group(1) if m else None
        wait_for(lambda: port() or proc.poll() is not None, what="start-up")
        self.assertIsNone(proc.poll(), read(log.name))
        return f"127.0.0.1:{port()}"

    def farm(self, address, *args, ca=None, token=None):
        env = dict(os.environ)
        for name in ("FARM_TOKEN", "FARM_TLS_CA", "FARM_TLS_CERT",
                     "FARM_TLS_KEY", "FARM_REMOTE"):
            env.pop(name, None)
        if ca:
            env["FARM_TLS_CA"] = ca
        if token:
            env["FARM_TOKEN"] = open(self.p(f"token-{token}")).read().strip()
        return subprocess.run([FARM, "--remote", address, *args],
                              capture_output=True, text=True, env=env,
                              timeout=60)

    def test_servers_refuse_an_open_port_without_tls_or_identities(self):
        for binary, name in ((SCHEDULER, "farm-scheduler"),
                             (CACHE, "farm-cache")):
            root = os.path.join(self.tmp, f"open-{name}")
            refused = subprocess.run(
                [binary, "--listen", "0.0.0.0:0", "--root", root],
                capture_output=True, text=True, timeout=30)
            self.assertNotEqual(refused.returncode, 0, name)
            self.assertIn("refusing to listen on 0.0.0.0:0", refused.stderr)
            self.assertIn("--insecure", refused.stderr)
            # --insecure is the explicit way out; loopback needs nothing.
            for listen, extra in (("0.0.0.0:0", ["--insecure"]),
                                  ("127.0.0.1:0", [])):
                address = self.start([binary, "--listen", listen, "--root",
                                      root, *extra])
                self.procs[-1].send_signal(signal.SIGTERM)
                self.procs[-1].wait(timeout=20)
                del address

    def test_rotated_certificates_are_picked_up_without_a_restart(self):
        live = os.path.join(self.tmp, "live")
        os.makedirs(live)
        for name in ("server.pem", "server.key"):
            shutil.copy(self.p(name), os.path.join(live, name))
        address = self.start([
            SCHEDULER, "--listen", "127.0.0.1:0", "--root",
            os.path.join(self.tmp, "rotating"), "--tls-cert",
            os.path.join(live, "server.pem"), "--tls-key",
            os.path.join(live, "server.key"), "--tokens", self.p("tokens")])
        ok = self.farm(address, "images", ca=self.p("ca.pem"), token="a")
        self.assertEqual(ok.returncode, 0, ok.stderr)
        before = self.farm(address, "images", ca=self.p("other-ca.pem"),
                           token="a")
        self.assertEqual(before.returncode, 1)
        self.assertIn("TLS handshake", before.stderr)
        # Rotate to a certificate from the other CA, key first in a new file
        # renamed into place, as a secret mount swaps files.
        for name in ("server.key", "server.pem"):
            src = self.p(name.replace("server", "server-other-ca"))
            tmp = os.path.join(live, name + ".new")
            shutil.copy(src, tmp)
            os.rename(tmp, os.path.join(live, name))
        wait_for(lambda: self.farm(address, "images", ca=self.p("other-ca.pem"),
                                   token="a").returncode == 0,
                 timeout=30, what="the rotated certificate")
        self.assertEqual(self.farm(address, "images", ca=self.p("ca.pem"),
                                   token="a").returncode, 1)

    def test_an_expired_server_certificate_is_refused(self):
        address = self.start([
            SCHEDULER, "--listen", "127.0.0.1:0", "--root",
            os.path.join(self.tmp, "expired"), "--tls-cert",
            self.p("server-expired.pem"), "--tls-key",
            self.p("server-expired.key"), "--tokens", self.p("tokens")])
        refused = self.farm(address, "images", ca=self.p("ca.pem"), token="a")
        self.assertEqual(refused.returncode, 1)
        self.assertIn("TLS handshake", refused.stderr)
        self.assertIn("expired", refused.stderr)

    def test_a_scheduler_reaches_farm_cache_over_tls_with_a_token(self):
        cache = self.start([
            CACHE, "--listen", "127.0.0.1:0", "--root",
            os.path.join(self.tmp, "cache"), "--tls-cert", self.p("server.pem"),
            "--tls-key", self.p("server.key"), "--tokens", self.p("tokens")])
        token_file = self.p("token-admin")
        scheduler = self.start([
            SCHEDULER, "--listen", "127.0.0.1:0", "--root",
            os.path.join(self.tmp, "with-cache"), "--cache", cache,
            "--cache-tls-ca", self.p("ca.pem"), "--cache-token-file",
            token_file, "--tls-cert", self.p("server.pem"), "--tls-key",
            self.p("server.key"), "--tokens", self.p("tokens")])
        image = os.path.join(self.tmp, "busybox.tar")
        subprocess.run([MAKE_IMAGE, image], check=True)
        loaded = self.farm(scheduler, "load", "-i", image,
                           ca=self.p("ca.pem"), token="a")
        self.assertEqual(loaded.returncode, 0, loaded.stderr)
        stats = self.farm(scheduler, "cache", "stats", ca=self.p("ca.pem"),
                          token="admin")
        self.assertEqual(stats.returncode, 0, stats.stderr)
        # A client token gets nowhere on farm-cache itself.
        direct = self.farm(cache, "cache", "stats", ca=self.p("ca.pem"),
                           token="a")
        self.assertEqual(direct.returncode, 1)
        self.assertIn("admin", direct.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
