"""A 3-member etcd cluster on loopback for tests (etcd-server from Debian):
each member has its own data directory and ports, and can be killed."""

import json
import os
import shutil
import subprocess
import time
import urllib.request

from cache_nodes import free_port

ETCD = os.environ.get("ETCD", "/usr/bin/etcd")


class EtcdCluster:
    def __init__(self, workdir, members=3):
        self.dir = os.path.join(workdir, "etcd")
        os.makedirs(self.dir, exist_ok=True)
        self.names = [f"m{i}" for i in range(members)]
        self.client_ports = [free_port() for _ in self.names]
        self.peer_ports = [free_port() for _ in self.names]
        initial = ",".join(f"{name}=http://127.0.0.1:{port}"
                           for name, port in zip(self.names, self.peer_ports))
        self.procs = []
        for i, name in enumerate(self.names):
            log = open(os.path.join(self.dir, f"{name}.log"), "ab")
            self.procs.append(subprocess.Popen(
                [ETCD, "--name", name,
                 "--data-dir", os.path.join(self.dir, name),
                 "--listen-client-urls", self.endpoints[i],
                 "--advertise-client-urls", self.endpoints[i],
                 "--listen-peer-urls", f"http://127.0.0.1:{self.peer_ports[i]}",
                 "--initial-advertise-peer-urls",
                 f"http://127.0.0.1:{self.peer_ports[i]}",
                 "--initial-cluster", initial,
                 "--initial-cluster-state", "new",
                 "--initial-cluster-token", os.path.basename(workdir),
                 "--heartbeat-interval", "50", "--election-timeout", "500",
                 "--log-level", "warn"],
                stdout=log, stderr=log))
            log.close()
        self.wait_healthy()

    @property
    def endpoints(self):
        return [f"http://127.0.0.1:{port}" for port in self.client_ports]

    @property
    def urls(self):
        """The --etcd flag's value."""
        return ",".join(self.endpoints)

    def wait_healthy(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                healthy = all(self._healthy(e) for e in self.endpoints)
            except OSError:
                healthy = False
            if healthy:
                return
            for proc in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"etcd exited: {self.logs()}")
            time.sleep(0.1)
        raise RuntimeError(f"etcd did not become healthy: {self.logs()}")

    @staticmethod
    def _healthy(endpoint):
        with urllib.request.urlopen(endpoint + "/health", timeout=2) as r:
            return json.load(r).get("health") == "true"

    def get(self, key):
        """The value of `key` (str) or None, through the JSON gateway."""
        import base64
        body = json.dumps({"key": base64.b64encode(key.encode()).decode()})
        request = urllib.request.Request(self.endpoints[0] + "/v3/kv/range",
                                         data=body.encode(), method="POST")
        with urllib.request.urlopen(request, timeout=5) as r:
            kvs = json.load(r).get("kvs", [])
        return base64.b64decode(kvs[0]["value"]).decode() if kvs else None

    def keys(self, prefix):
        """Every key under `prefix`."""
        import base64
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        body = json.dumps({"key": base64.b64encode(prefix.encode()).decode(),
                           "range_end": base64.b64encode(end.encode()).decode(),
                           "keys_only": True})
        request = urllib.request.Request(self.endpoints[0] + "/v3/kv/range",
                                         data=body.encode(), method="POST")
        with urllib.request.urlopen(request, timeout=5) as r:
            kvs = json.load(r).get("kvs", [])
        return [base64.b64decode(kv["key"]).decode() for kv in kvs]

    def logs(self):
        out = []
        for name in self.names:
            with open(os.path.join(self.dir, f"{name}.log"), "rb") as f:
                out.append(f"--- etcd {name}\n" +
                           f.read().decode("utf-8", "replace")[-2000:])
        return "\n".join(out)

    def close(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
