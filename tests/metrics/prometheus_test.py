"""farm's metrics as a Prometheus server sees them: Debian's real
`prometheus` on 127.0.0.1 scrapes a farm-scheduler and a farm-worker (each
with --metrics-listen) every second while builds run through the
scheduler, and the test asks Prometheus' HTTP API for the series the Helm
chart's autoscaler and a dashboard use: the queue of stage jobs
(farm_jobs_queued), the action cache's hits and misses, and `up` of both
targets. farm-cache's /metrics is read directly.

  prometheus_test.py FARM SCHEDULER WORKER CACHE BUSYBOX_TAR
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "distributed"))
from cluster import Cluster  # noqa: E402

FARM, SCHEDULER, WORKER, CACHE, BUSYBOX_TAR = (
    os.path.abspath(p) for p in sys.argv[1:6])
del sys.argv[1:6]

PROMETHEUS = "/usr/bin/prometheus"
METRICS_LINE = re.compile(r"serving Prometheus metrics at "
                          r"http://127\.0\.0\.1:(\d+)/metrics")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_log(log_path, pattern, timeout=20):
    """The first match of `pattern` in a server's log, once it is there."""
    deadline = time.time() + timeout
    while True:
        with open(log_path, errors="replace") as f:
            text = f.read()
        match = pattern.search(text)
        if match:
            return match
        if time.time() > deadline:
            raise AssertionError(f"no {pattern.pattern!r} in {log_path}:\n"
                                 f"{text}")
        time.sleep(0.1)


def metrics_port(log_path):
    """The port a server's log says its /metrics is on."""
    return int(wait_for_log(log_path, METRICS_LINE).group(1))


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode()


class Prometheus:
    """A Prometheus server on loopback, its TSDB in `work`."""

    def __init__(self, work):
        self.config = os.path.join(work, "prometheus.yml")
        self.port = free_port()
        self.log = open(os.path.join(work, "prometheus.log"), "ab")
        self.targets = {}
        self._write_config()
        self.proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={self.config}",
             f"--storage.tsdb.path={os.path.join(work, 'tsdb')}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self.log, stderr=self.log)
        self._wait_ready()

    def _write_config(self):
        # JSON is YAML: no YAML library needed.
        config = {
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s",
                       "evaluation_interval": "1s"},
            "scrape_configs": [
                {"job_name": job,
                 "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}
                for job, port in sorted(self.targets.items())],
        }
        with open(self.config, "w") as f:
            json.dump(config, f)

    def _wait_ready(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("prometheus exited; see prometheus.log")
            try:
                http_get(f"http://127.0.0.1:{self.port}/-/ready", timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("prometheus did not get ready")

    def scrape(self, job, port):
        """Adds a target and reloads the configuration (SIGHUP)."""
        self.targets[job] = port
        self._write_config()
        self.proc.send_signal(signal.SIGHUP)

    def query(self, expr):
        """The instant vector `expr` as {job: value}."""
        url = (f"http://127.0.0.1:{self.port}/api/v1/query?" +
               urllib.parse.urlencode({"query": expr}))
        body = json.loads(http_get(url))
        if body["status"] != "success":
            raise AssertionError(f"{expr}: {body}")
        return {r["metric"].get("job", ""): float(r["value"][1])
                for r in body["data"]["result"]}

    def wait_for(self, expr, predicate, timeout=30):
        """Polls `expr` until predicate(result) holds; returns the result."""
        deadline = time.time() + timeout
        result = None
        while time.time() < deadline:
            result = self.query(expr)
            if predicate(result):
                return result
            time.sleep(0.25)
        raise AssertionError(f"{expr}: still {result} after {timeout}s")

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


DOCKERFILE = """FROM busybox
COPY data.txt /data.txt
RUN wc -c /data.txt > /size
"""


def scheduler_value(result):
    return result.get("farm-scheduler")


class PrometheusTest(unittest.TestCase):
    def setUp(self):
        self.cluster = Cluster(
            FARM, SCHEDULER, WORKER, workers=0,
            scheduler_args=["--metrics-listen", "127.0.0.1:0"])
        self.addCleanup(self.cluster.close)
        self.prometheus = Prometheus(self.cluster.dir)
        self.addCleanup(self.prometheus.close)
        self.cluster.run("load", "-i", BUSYBOX_TAR)

    def run_build(self, run):
        run.wait(timeout=120)
        self.assertIsNotNone(run.result, run.output())
        self.assertTrue(run.result["ok"],
                        run.output() + "\n" + self.cluster.dump_logs())

    def test_queue_hits_and_targets_as_prometheus_sees_them(self):
        prom = self.prometheus
        prom.scrape("farm-scheduler",
                    metrics_port(os.path.join(self.cluster.dir,
                                              "scheduler.log")))
        ctx = self.cluster.context("metrics", DOCKERFILE,
                                   {"data.txt": "x" * 4096})

        # No worker yet: the build's stage job waits in the queue, which is
        # what the chart's autoscaler scales on.
        first = self.cluster.start_build(ctx, "-t", "metrics:1")
        prom.wait_for("farm_jobs_queued",
                      lambda r: scheduler_value(r) == 1)
        prom.wait_for("farm_builds_running",
                      lambda r: scheduler_value(r) == 1)

        worker = self.cluster.start_worker(
            "w1", args=["--metrics-listen", "127.0.0.1:0"])
        self.assertIsNone(worker.poll())
        prom.scrape("farm-worker", metrics_port(
            os.path.join(self.cluster.dir, "worker-w1.log")))
        self.run_build(first)
        finished = 'farm_builds_finished_total{result="succeeded"}'
        prom.wait_for(finished, lambda r: scheduler_value(r) == 1)
        prom.wait_for("farm_jobs_queued", lambda r: scheduler_value(r) == 0)
        hits_after_first = scheduler_value(
            prom.query("farm_action_cache_hits_total"))
        misses = scheduler_value(prom.query("farm_action_cache_misses_total"))
        self.assertGreater(misses, 0)

        # The same build again: every key hits, no job runs, and the context
        # file is not sent again.
        self.run_build(self.cluster.start_build(ctx, "-t", "metrics:2"))
        prom.wait_for(finished, lambda r: scheduler_value(r) == 2)
        hits = scheduler_value(prom.query("farm_action_cache_hits_total"))
        self.assertGreater(hits, hits_after_first)
        rate = scheduler_value(prom.query(
            "farm_action_cache_hits_total / (farm_action_cache_hits_total"
            " + farm_action_cache_misses_total)"))
        self.assertGreater(rate, 0)
        self.assertLess(rate, 1)
        self.assertEqual(scheduler_value(
            prom.query("farm_builds_fully_cached_total")), 1)
        # A build whose every step is cached does not read the context.
        self.assertEqual(scheduler_value(
            prom.query("farm_context_skipped_bytes_total")), 0)
        self.assertGreaterEqual(scheduler_value(
            prom.query("farm_context_uploaded_bytes_total")), 4096)
        self.assertEqual(scheduler_value(
            prom.query("farm_build_duration_seconds_count"
                       '{result="succeeded"}')), 2)
        self.assertEqual(scheduler_value(prom.query(
            'farm_grpc_server_handled_total'
            '{method="/farm.proto.BuildService/Build",code="OK"}')), 2)

        # Both targets are up, and the worker reports its own side.
        up = prom.wait_for("up", lambda r: r.get("farm-scheduler") == 1 and
                           r.get("farm-worker") == 1)
        self.assertEqual(up, {"farm-scheduler": 1, "farm-worker": 1})
        self.assertEqual(prom.query(
            'farm_worker_jobs_total{result="succeeded"}'), {"farm-worker": 1})
        self.assertEqual(prom.query("farm_worker_slots"), {"farm-worker": 1})
        self.assertGreater(prom.query(
            "farm_worker_snapshot_cache_bytes")["farm-worker"], 0)
        self.assertEqual(prom.query("farm_workers_connected"),
                         {"farm-scheduler": 1})
        self.assertEqual(prom.query("farm_pool_slots"), {"farm-scheduler": 1})

        # A new step over the same file runs a job that reads the context,
        # and the file the cache holds is not sent again.
        again = self.cluster.context(
            "metrics-again", DOCKERFILE + "RUN wc -l /data.txt > /lines\n",
            {"data.txt": "x" * 4096})
        self.run_build(self.cluster.start_build(again, "-t", "metrics:3"))
        prom.wait_for("farm_context_skipped_bytes_total",
                      lambda r: (scheduler_value(r) or 0) >= 4096)


class FarmCacheMetricsTest(unittest.TestCase):
    def test_farm_cache_serves_its_cache_and_rpcs(self):
        work = tempfile.mkdtemp(prefix="farm-cache-metrics-",
                                dir=os.environ.get("TEST_TMPDIR"))
        self.addCleanup(shutil.rmtree, work, True)
        log_path = os.path.join(work, "cache.log")
        with open(log_path, "ab") as log:
            cache = subprocess.Popen(
                [CACHE, "--listen", "127.0.0.1:0", "--root",
                 os.path.join(work, "root"), "--max-bytes", "1000000",
                 "--metrics-listen", "127.0.0.1:0"],
                stdout=log, stderr=log)
        self.addCleanup(cache.wait)
        self.addCleanup(cache.terminate)
        port = metrics_port(log_path)
        grpc_port = wait_for_log(
            log_path, re.compile(r"on port (\d+)$", re.M)).group(1)
        env = dict(os.environ, FARM_CONFIG=os.path.join(work, "config"))
        for name in ("FARM_TOKEN", "FARM_TLS_CA", "FARM_REMOTE"):
            env.pop(name, None)
        subprocess.run([FARM, "--remote", f"127.0.0.1:{grpc_port}", "cache",
                        "stats"], check=True, capture_output=True, env=env)

        text = http_get(f"http://127.0.0.1:{port}/metrics")
        self.assertIn("\nfarm_cache_max_bytes 1000000\n", text)
        self.assertIn("\nfarm_cache_blobs 0\n", text)
        self.assertIn("# TYPE farm_action_cache_hits_total counter", text)
        self.assertIn('\nfarm_grpc_server_handled_total{'
                      'code="OK",method="/farm.proto.CacheService/Stats"} 1\n',
                      text)


if __name__ == "__main__":
    unittest.main()
