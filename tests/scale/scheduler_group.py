"""farm-schedulers run as a failover group over etcd, for tests on
loopback: each has its own port and root; the elected one listens, the
others stand by. GroupCluster is a tests/distributed Cluster whose
clients and workers dial the whole group ("A,B")."""

import os
import signal
import socket
import subprocess
import time

from cache_nodes import free_port
from cluster import Cluster


class SchedulerGroup:
    def __init__(self, binary, workdir, count, etcd_urls, cache,
                 lease_seconds=3, worker_lease_seconds=3, args=()):
        self.binary = binary
        self.workdir = workdir
        self.etcd_urls = etcd_urls
        self.cache = cache
        self.lease_seconds = lease_seconds
        self.worker_lease_seconds = worker_lease_seconds
        self.args = list(args)
        self.ports = [free_port() for _ in range(count)]
        self.procs = [None] * count
        for i in range(count):
            self.start(i)

    @property
    def addresses(self):
        return [f"127.0.0.1:{port}" for port in self.ports]

    @property
    def target(self):
        """What `farm --remote` and `farm-worker --scheduler` are given."""
        return ",".join(self.addresses)

    def log(self, i):
        return os.path.join(self.workdir, f"scheduler-{i}.log")

    def start(self, i):
        log = open(self.log(i), "ab")
        self.procs[i] = subprocess.Popen(
            [self.binary, "--listen", self.addresses[i],
             "--root", os.path.join(self.workdir, f"scheduler-{i}"),
             "--cache", self.cache, "--etcd", self.etcd_urls,
             "--advertise", self.addresses[i],
             "--leader-lease-seconds", str(self.lease_seconds),
             "--lease-seconds", str(self.worker_lease_seconds), *self.args],
            stdout=log, stderr=log)
        log.close()

    def listening(self, i):
        with socket.socket() as s:
            s.settimeout(0.5)
            return s.connect_ex(("127.0.0.1", self.ports[i])) == 0

    def leader(self, timeout=30, other_than=None):
        """The index of the scheduler that listens (leads)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for i, proc in enumerate(self.procs):
                if i == other_than or proc is None or proc.poll() is not None:
                    continue
                if self.listening(i):
                    return i
            time.sleep(0.05)
        raise AssertionError("no farm-scheduler of the group leads:\n" +
                             self.logs())

    def kill(self, i, sig=signal.SIGKILL):
        self.procs[i].send_signal(sig)
        self.procs[i].wait(timeout=30)

    def logs(self, tail=30):
        out = []
        for i in range(len(self.procs)):
            with open(self.log(i), "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            out.append(f"--- scheduler-{i}.log")
            out.extend(lines[-tail:])
        return "\n".join(out)

    def close(self):
        for proc in self.procs:
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            if proc is None:
                continue
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class GroupCluster(Cluster):
    """A Cluster whose scheduler is `group`: workers and farm commands are
    given every address of the group."""

    def __init__(self, group, *args, **kwargs):
        self.group = group
        super().__init__(*args, **kwargs)

    def _start_scheduler(self, port="0"):
        self.group.leader()
        self.address = self.group.target

    def restart_scheduler(self):
        raise NotImplementedError("kill a member of the group instead")

    def close(self):
        self.scheduler = None  # the group's to stop
        super().close()

    def dump_logs(self, tail=40):
        return super().dump_logs(tail) + "\n" + self.group.logs(tail)
