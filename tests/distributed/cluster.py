"""A real farm on loopback for tests: one farm-scheduler and N farm-worker
processes, each with its own root, driven through the `farm` CLI. With a
PKI directory (tests/security/make_pki.sh) the farm runs as a company runs
it: TLS, client certificates and tokens; workers use the worker token and
the CLI the admin token unless told otherwise."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time


def wait_for(predicate, timeout=30, what="condition"):
    """Polls `predicate` until it holds; AssertionError after `timeout` s."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def import_protos(root, *names):
    """Python modules for farm's protos `names` (e.g. "build.proto"), made
    by protoc for this run; import them as `from proto import build_pb2`."""
    out = tempfile.mkdtemp(prefix="farm-protos-",
                           dir=os.environ.get("TEST_TMPDIR"))
    subprocess.run(["protoc", "-I", root, f"--python_out={out}"] +
                   [os.path.join(root, "proto", name) for name in names],
                   check=True)
    sys.path.insert(0, out)


class BuildRun:
    """A `farm build --progress json` running in the background."""

    def __init__(self, proc):
        self.proc = proc
        self.events = []
        self.result = None
        self.lines = []
        self._lock = threading.Lock()
        self._readers = [
            threading.Thread(target=self._read, args=(proc.stdout,), daemon=True),
            threading.Thread(target=self._read, args=(proc.stderr,), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, stream):
        for raw in stream:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._lock:
                self.lines.append(line)
                try:
                    item = json.loads(line)
                except ValueError:
                    continue
                if item.get("type") == "event":
                    self.events.append(item)
                elif item.get("type") == "result":
                    self.result = item

    def wait(self, timeout=120):
        code = self.proc.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout=5)
        return code

    def wait_for_event(self, predicate, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self._lock:
                for event in self.events:
                    if predicate(event):
                        return event
            if self.proc.poll() is not None and not self._readers[0].is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"no such event; output so far:\n{self.output()}")

    def output(self):
        with self._lock:
            return "\n".join(self.lines)


class Cluster:
    def __init__(self, farm, scheduler, worker, workers=3, lease_seconds=3,
                 pki=None, scheduler_args=()):
        self.farm = farm
        self.scheduler_bin = scheduler
        self.worker_bin = worker
        self.lease_seconds = lease_seconds
        self.pki = pki
        self.scheduler_args = list(scheduler_args)
        self.dir = tempfile.mkdtemp(prefix="farm-cluster-",
                                    dir=os.environ.get("TEST_TMPDIR"))
        self.scheduler = None
        self.address = None
        self.workers = {}
        self.logs = []
        self._start_scheduler()
        for i in range(workers):
            self.start_worker(f"w{i + 1}")
        self.wait_workers(workers)

    def _log(self, name):
        path = os.path.join(self.dir, f"{name}.log")
        self.logs.append(path)
        return open(path, "ab")

    def restart_scheduler(self):
        """Kills the scheduler (kill -9) and starts it again on the same
        address and root, as after a crash."""
        self.scheduler.kill()
        self.scheduler.wait()
        port = self.address.rsplit(":", 1)[1]
        deadline = time.time() + 20
        while True:
            try:
                self._start_scheduler(port)
                return
            except RuntimeError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)

    def pki_file(self, name):
        return os.path.join(self.pki, name)

    def token(self, who):
        """The token of "a", "b", "worker" or "admin" (make_pki.sh)."""
        with open(self.pki_file(f"token-{who}")) as f:
            return f.read().strip()

    def _security_args(self):
        if not self.pki:
            return []
        return ["--tls-cert", self.pki_file("server.pem"),
                "--tls-key", self.pki_file("server.key"),
                "--tls-client-ca", self.pki_file("ca.pem"),
                "--tokens", self.pki_file("tokens")]

    def env(self, who="admin"):
        """The environment of a `farm` command run as `who` (a token name,
        or None for no credentials)."""
        env = dict(os.environ)
        for name in ("FARM_TOKEN", "FARM_TLS_CA", "FARM_TLS_CERT",
                     "FARM_TLS_KEY", "FARM_REMOTE"):
            env.pop(name, None)
        env["FARM_CONFIG"] = os.path.join(self.dir, "client-config")
        if self.pki:
            env["FARM_TLS_CA"] = self.pki_file("ca.pem")
            if who:
                env["FARM_TOKEN"] = self.token(who)
        return env

    def _start_scheduler(self, port="0"):
        log = self._log("scheduler")
        self.scheduler = subprocess.Popen(
            [self.scheduler_bin, "--listen", f"127.0.0.1:{port}", "--root",
             os.path.join(self.dir, "scheduler"), "--lease-seconds",
             str(self.lease_seconds), *self._security_args(),
             *self.scheduler_args],
            stdout=subprocess.PIPE, stderr=log)
        line = self.scheduler.stdout.readline().decode()
        match = re.search(r"listening on port (\d+)", line)
        if not match:
            raise RuntimeError(f"scheduler did not start: {line!r}")
        self.address = f"127.0.0.1:{match.group(1)}"

    def start_worker(self, worker_id, slots=1, token="worker", root=None,
                     args=()):
        log = self._log(f"worker-{worker_id}")
        root = root or os.path.join(self.dir, f"worker-{worker_id}")
        security = []
        if self.pki:
            security = ["--tls-ca", self.pki_file("ca.pem")]
            if token:
                security += ["--token-file", self.pki_file(f"token-{token}")]
        proc = subprocess.Popen(
            [self.worker_bin, "--scheduler", self.address, "--root", root,
             "--id", worker_id, "--slots", str(slots), *security, *args],
            stdout=log, stderr=log)
        self.workers[worker_id] = proc
        return proc

    def kill_worker(self, worker_id, sig=signal.SIGKILL):
        proc = self.workers[worker_id]
        proc.send_signal(sig)
        return proc

    def workers_listed(self):
        out = self.run("workers").stdout
        return [line.split()[0] for line in out.splitlines()[1:] if line.strip()]

    def wait_workers(self, count, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(self.workers_listed()) >= count:
                return
            time.sleep(0.1)
        raise AssertionError(f"{count} workers did not register: "
                             f"{self.workers_listed()}")

    def run(self, *args, check=True, timeout=120, who="admin", input=None):
        proc = subprocess.run([self.farm, "--remote", self.address, *args],
                              capture_output=True, timeout=timeout, text=True,
                              env=self.env(who), input=input)
        if check and proc.returncode != 0:
            raise AssertionError(f"farm {' '.join(args)} failed "
                                 f"({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return proc

    def stats(self):
        return json.loads(self.run("stats").stdout)

    def start_build(self, context, *args, who="admin"):
        proc = subprocess.Popen(
            [self.farm, "--remote", self.address, "build", "--progress", "json",
             *args, context],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env(who))
        return BuildRun(proc)

    def build(self, context, *args, timeout=180, who="admin"):
        run = self.start_build(context, *args, who=who)
        run.wait(timeout=timeout)
        return run

    def context(self, name, dockerfile, files=None):
        path = os.path.join(self.dir, "contexts", name)
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, "Dockerfile"), "w") as f:
            f.write(dockerfile)
        for rel, content in (files or {}).items():
            full = os.path.join(path, rel)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w") as f:
                f.write(content)
        return path

    def close(self):
        # A drained worker exits on its own and leaves nothing behind (its
        # cgroups go too); one that does not is killed.
        for proc in self.workers.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.time() + 10
        for proc in self.workers.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                proc.kill()
        if self.scheduler and self.scheduler.poll() is None:
            self.scheduler.send_signal(signal.SIGTERM)
            try:
                self.scheduler.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.scheduler.kill()
        for proc in self.workers.values():
            proc.wait()
        if os.environ.get("FARM_KEEP_CLUSTER"):
            print(f"cluster kept in {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def dump_logs(self, tail=40):
        out = []
        for path in self.logs:
            try:
                with open(path, "rb") as f:
                    lines = f.read().decode("utf-8", "replace").splitlines()
            except OSError:
                continue
            out.append(f"--- {os.path.basename(path)}")
            out.extend(lines[-tail:])
        return "\n".join(out)
