"""farm-cache nodes in front of one object store, for tests on loopback:
each node has its own root and port, and can be killed and started again
(on the same port, with its disk kept or lost)."""

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CacheNodes:
    def __init__(self, binary, workdir, count, s3, bucket, max_bytes="0"):
        """`s3` has endpoint, access_key, secret_key and region (a SwiftS3);
        None runs RocksDB-only nodes, as a single farm-cache runs today."""
        self.binary = binary
        self.workdir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.s3 = s3
        self.bucket = bucket
        self.max_bytes = max_bytes
        self.ports = [free_port() for _ in range(count)]
        self.metrics_ports = [free_port() for _ in range(count)]
        self.procs = [None] * count
        for i in range(count):
            self.start(i)

    @property
    def addresses(self):
        return [f"127.0.0.1:{port}" for port in self.ports]

    def root(self, i):
        return os.path.join(self.workdir, f"cache-{i}")

    def log(self, i):
        return os.path.join(self.workdir, f"cache-{i}.log")

    def start(self, i, timeout=30):
        env = dict(os.environ)
        store = []
        if self.s3 is not None:
            env["AWS_ACCESS_KEY_ID"] = self.s3.access_key
            env["AWS_SECRET_ACCESS_KEY"] = self.s3.secret_key
            store = ["--s3-endpoint", self.s3.endpoint, "--s3-bucket",
                     self.bucket, "--s3-region", self.s3.region]
        log = open(self.log(i), "ab")
        start = log.tell()
        self.procs[i] = subprocess.Popen(
            [self.binary, "--listen", self.addresses[i], "--root", self.root(i),
             "--max-bytes", self.max_bytes, *store,
             "--metrics-listen", f"127.0.0.1:{self.metrics_ports[i]}"],
            stdout=log, stderr=log, env=env)
        log.close()
        deadline = time.time() + timeout
        while time.time() < deadline:
            with open(self.log(i), "rb") as f:
                f.seek(start)
                text = f.read().decode("utf-8", "replace")
            if re.search(r"on port \d+", text):
                return
            if self.procs[i].poll() is not None:
                raise RuntimeError(f"farm-cache {i} exited:\n{text}")
            time.sleep(0.05)
        raise RuntimeError(f"farm-cache {i} did not start")

    def metric(self, i, name):
        """The value of the series `name` that node i exports (0 if absent)."""
        url = f"http://127.0.0.1:{self.metrics_ports[i]}/metrics"
        with urllib.request.urlopen(url, timeout=10) as answer:
            text = answer.read().decode()
        for line in text.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    def kill(self, i):
        """kill -9, as a node that loses its machine."""
        self.procs[i].send_signal(signal.SIGKILL)
        self.procs[i].wait()

    def restart_all_empty(self):
        """Every node back on its port with an empty disk, as after a
        rollout that lost the volumes."""
        for i in range(len(self.procs)):
            if self.procs[i].poll() is None:
                self.kill(i)
        for i in range(len(self.procs)):
            shutil.rmtree(self.root(i), ignore_errors=True)
            self.start(i)

    def restart_empty(self, i):
        """Starts node i again on its port with an empty disk."""
        if self.procs[i].poll() is None:
            self.kill(i)
        shutil.rmtree(self.root(i), ignore_errors=True)
        self.start(i)

    def close(self):
        for proc in self.procs:
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            if proc is None:
                continue
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
