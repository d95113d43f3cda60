"""What Kubernetes' gRPC probes see of farm's servers: real farm-scheduler,
farm-cache and farm-worker binaries with TLS and tokens on their main ports
and a plaintext --health-listen port each, asked with the standard
grpc.health.v1 protocol (Debian's python3-grpcio, stubs made by protoc from
proto/health.proto) and no credentials at all, as the kubelet asks. Also
`farm version` against that scheduler, which an operator runs first.

  run_health_probe_test.sh FARM SCHEDULER WORKER CACHE MAKE_IMAGE MAKE_PKI
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "distributed"))
from cluster import Cluster, import_protos, wait_for  # noqa: E402

FARM, SCHEDULER, WORKER, CACHE, MAKE_IMAGE, MAKE_PKI = (
    os.path.abspath(p) for p in sys.argv[1:7])
del sys.argv[1:7]

import grpc  # noqa: E402  (Debian's python3-grpcio)

import_protos(ROOT, "health.proto")
from proto import health_pb2  # noqa: E402

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check(address, service="", ca=None):
    """One Check call, plaintext unless `ca`: (grpc code, serving status)."""
    if ca is None:
        channel = grpc.insecure_channel(address)
    else:
        channel = grpc.secure_channel(
            address, grpc.ssl_channel_credentials(root_certificates=ca))
    call = channel.unary_unary(
        "/grpc.health.v1.Health/Check",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=health_pb2.HealthCheckResponse.FromString)
    try:
        response = call(health_pb2.HealthCheckRequest(service=service),
                        timeout=10)
        return grpc.StatusCode.OK, response.status
    except grpc.RpcError as e:
        return e.code(), None
    finally:
        channel.close()


class HealthProbeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="farm-health-",
                                   dir=os.environ.get("TEST_TMPDIR"))
        cls.pki = os.path.join(cls.tmp, "pki")
        subprocess.run([MAKE_PKI, cls.pki], check=True)
        cls.ca = open(os.path.join(cls.pki, "ca.pem"), "rb").read()
        cls.scheduler_health = free_port()
        # 0.0.0.0 without --insecure: the health port serves nothing else.
        cls.cluster = Cluster(
            FARM, SCHEDULER, WORKER, workers=0, pki=cls.pki,
            scheduler_args=["--health-listen",
                            f"0.0.0.0:{cls.scheduler_health}"])
        image = os.path.join(cls.tmp, "busybox.tar")
        subprocess.run([MAKE_IMAGE, image], check=True)
        cls.cluster.run("load", "-i", image, who="a")

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_scheduler_health_port_answers_without_tls_or_token(self):
        self.assertEqual(check(f"127.0.0.1:{self.scheduler_health}"),
                         (grpc.StatusCode.OK, SERVING))

    def test_scheduler_main_port_serves_health_over_tls_without_token(self):
        self.assertEqual(check(self.cluster.address, ca=self.ca),
                         (grpc.StatusCode.OK, SERVING))
        self.assertEqual(
            check(self.cluster.address, "farm.proto.BuildService",
                  ca=self.ca),
            (grpc.StatusCode.OK, SERVING))

    def test_unknown_service_is_not_found(self):
        code, _ = check(f"127.0.0.1:{self.scheduler_health}", "no.such.Svc")
        self.assertEqual(code, grpc.StatusCode.NOT_FOUND)

    def test_health_port_runs_no_farm_call(self):
        channel = grpc.insecure_channel(f"127.0.0.1:{self.scheduler_health}")
        call = channel.unary_unary("/farm.proto.WorkerService/ListWorkers",
                                   request_serializer=lambda b: b,
                                   response_deserializer=lambda b: b)
        with self.assertRaises(grpc.RpcError) as raised:
            call(b"", timeout=10)
        self.assertEqual(raised.exception.code(),
                         grpc.StatusCode.UNIMPLEMENTED)
        channel.close()

    def test_worker_is_serving_until_it_drains(self):
        port = free_port()
        self.cluster.start_worker(
            "hw", args=["--health-listen", f"127.0.0.1:{port}"])
        self.cluster.wait_workers(1)
        address = f"127.0.0.1:{port}"
        wait_for(lambda: check(address) == (grpc.StatusCode.OK, SERVING),
                 what="the worker to serve")
        context = self.cluster.context("slow", "FROM busybox\nRUN sleep 4\n")
        run = self.cluster.start_build(context, who="a")
        run.wait_for_event(lambda e: e["kind"] == "STEP_STARTED" and
                           "sleep" in e["text"], timeout=60)
        self.cluster.run("workers", "drain", "hw", who="admin")
        # Draining: still finishing its job, but no longer ready.
        wait_for(lambda: check(address) == (grpc.StatusCode.OK, NOT_SERVING),
                 what="the draining worker to say NOT_SERVING")
        run.wait()
        self.assertEqual(run.proc.returncode, 0, run.output())
        self.assertEqual(self.cluster.workers["hw"].wait(timeout=30), 0)

    def test_cache_health_port_on_any_address_without_insecure(self):
        port = free_port()
        root = os.path.join(self.tmp, "cache")
        log = open(os.path.join(self.tmp, "cache.log"), "wb")
        cache = subprocess.Popen(
            [CACHE, "--listen", "127.0.0.1:0", "--root", root,
             "--tls-cert", os.path.join(self.pki, "server.pem"),
             "--tls-key", os.path.join(self.pki, "server.key"),
             "--tokens", os.path.join(self.pki, "tokens"),
             "--health-listen", f"0.0.0.0:{port}"],
            stdout=log, stderr=log)
        try:
            wait_for(lambda: check(f"127.0.0.1:{port}")
                     == (grpc.StatusCode.OK, SERVING),
                     what="farm-cache to serve")
            self.assertEqual(
                check(f"127.0.0.1:{port}", "farm.proto.CacheService")[0],
                grpc.StatusCode.NOT_FOUND)  # named only on the main port
        finally:
            cache.send_signal(signal.SIGTERM)
            self.assertEqual(cache.wait(timeout=30), 0)
            log.close()

    def test_farm_version_names_client_and_server(self):
        out = self.cluster.run("version", who="a").stdout
        self.assertRegex(out, r"^Client:\n Version: +\d+\.\d+\.\d+\n")
        self.assertIn(f"Server (farm-scheduler at {self.cluster.address}):",
                      out)
        self.assertEqual(out.count(" OS/Arch:    linux/"), 2, out)

    def test_farm_version_without_credentials_still_shows_the_client(self):
        result = self.cluster.run("version", who=None, check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn("Client:\n Version:", result.stdout)
        self.assertIn("did not accept this client's credentials",
                      result.stderr)

    def test_busy_health_port_is_a_clear_error(self):
        result = subprocess.run(
            [CACHE, "--listen", "127.0.0.1:0",
             "--root", os.path.join(self.tmp, "cache2"),
             "--health-listen", f"127.0.0.1:{self.scheduler_health}"],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 1)
        self.assertIn("--health-listen", result.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
