"""The peer the end-to-end benchmarks measure farm against: Docker's BuildKit
(Debian's docker.io, DOCKER_BUILDKIT=1, overlay2) in a dockerd of the
benchmark's own: its own data and exec roots, socket and containerd
namespace, so that nothing else on the machine is touched and it is stopped
and removed when the benchmark ends.

By default the daemon gets a bridge of its own (made by the peer and removed
with it) and iptables rules, so that its RUN steps are isolated as a user's
`docker build` isolates them: each gets its own network namespace and a
veth on the bridge, as farm's RUN gets its own namespace. `network="host"`
gives the daemon no bridge and builds with --network=host instead (less
isolated, and cheaper per RUN)."""

import os
import shutil
import signal
import subprocess
import time

import harness

DOCKER = "/usr/bin/docker"  # Debian's client; /usr/local/bin/docker differs


def missing_reason(docker=DOCKER):
    """Why no Docker column can be measured here, or None."""
    if not os.path.exists(docker):
        return f"docker.io is not installed ({docker} is missing)"
    if shutil.which("dockerd") is None:
        return "docker.io is not installed (no dockerd on PATH)"
    if os.geteuid() != 0:
        return "dockerd needs root"
    return None


BRIDGE = "farmbench0"
BRIDGE_ADDRESS = "172.31.254.1/24"


class DockerPeer:
    def __init__(self, workdir, docker=DOCKER, network="default"):
        self.docker_bin = docker
        self.network = network
        self.dir = os.path.join(workdir, "docker")
        self.host = f"unix://{self.dir}/docker.sock"
        self.proc = None
        self.env = dict(os.environ, DOCKER_HOST=self.host, DOCKER_BUILDKIT="1")
        self.log = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self, timeout=60):
        os.makedirs(self.dir, exist_ok=True)
        self.log = open(os.path.join(self.dir, "dockerd.log"), "ab")
        namespace = f"farm-bench-{os.getpid()}"
        if self.network == "host":
            network_flags = ["--bridge=none", "--iptables=false"]
        else:
            subprocess.run(["ip", "link", "del", BRIDGE], check=False,
                           stderr=subprocess.DEVNULL)
            subprocess.run(["ip", "link", "add", BRIDGE, "type", "bridge"],
                           check=True)
            subprocess.run(["ip", "addr", "add", BRIDGE_ADDRESS, "dev",
                            BRIDGE], check=True)
            subprocess.run(["ip", "link", "set", BRIDGE, "up"], check=True)
            network_flags = [f"--bridge={BRIDGE}", "--iptables=true"]
        self.proc = subprocess.Popen(
            ["dockerd", "--data-root", f"{self.dir}/data",
             "--exec-root", f"{self.dir}/exec",
             "--pidfile", f"{self.dir}/dockerd.pid", "--host", self.host,
             "--storage-driver=overlay2", *network_flags,
             "--ip6tables=false",
             "--containerd-namespace", namespace,
             "--containerd-plugins-namespace", f"{namespace}-plugins"],
            stdout=self.log, stderr=self.log)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            if self.docker("version", check=False).returncode == 0:
                return
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(
            f"dockerd did not start; see {self.dir}/dockerd.log")

    def docker(self, *args, check=True):
        return harness.run([self.docker_bin, *args], env=self.env, check=check)

    def version(self):
        return self.docker("version", "--format",
                           "docker {{.Server.Version}}").stdout.strip()

    def load(self, tar):
        self.docker("load", "-i", tar)

    def build_cmd(self, context, tag, *extra):
        return [self.docker_bin, "build", f"--network={self.network}", "-t",
                tag, *extra, context]

    def prune(self):
        """Empties BuildKit's cache (layers, cache keys, context copies)."""
        self.docker("builder", "prune", "--all", "--force")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if getattr(self, "log", None) is not None:
            self.log.close()
            self.log = None
        # overlay2 and the exec root leave mounts under the dir.
        with open("/proc/mounts") as f:
            points = [line.split()[1] for line in f]
        for point in sorted((p for p in points if p.startswith(self.dir)),
                            reverse=True):
            subprocess.run(["umount", "-l", point], check=False)
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.network != "host":
            subprocess.run(["ip", "link", "del", BRIDGE], check=False,
                           stderr=subprocess.DEVNULL)
            _drop_rules_mentioning(BRIDGE, BRIDGE_ADDRESS.rsplit(".", 1)[0])


def _drop_rules_mentioning(*words):
    """Deletes the iptables rules (filter and nat) that dockerd added for
    the bridge and that name one of `words`; other rules stay."""
    for table in ("filter", "nat"):
        out = subprocess.run(["iptables", "-t", table, "-S"],
                             capture_output=True, text=True, check=False)
        for rule in out.stdout.splitlines():
            if rule.startswith("-A ") and any(w in rule for w in words):
                subprocess.run(["iptables", "-t", table, "-D",
                                *rule.split()[1:]], check=False,
                               stderr=subprocess.DEVNULL)


def start_for(run, base):
    """A started DockerPeer with `base` loaded, stopped when `run` ends; or
    None, with the reason noted on the run's report."""
    reason = missing_reason()
    if run.args.no_docker:
        reason = "skipped (--no-docker)"
    if reason is not None:
        run.report.note(f"Docker column: {reason}.")
        return None
    network = getattr(run.args, "docker_network", "default")
    peer = DockerPeer(run.work, network=network)
    run.at_exit(peer.stop)
    peer.start()
    peer.load(base)
    isolation = ("RUN on the host network (--network=host)"
                 if network == "host" else
                 "RUN in its own network namespace on a bridge, Docker's "
                 "default")
    run.report.note(f"Docker: {peer.version()}, BuildKit, overlay2, a private "
                    f"dockerd started and stopped by the benchmark; {isolation}.")
    return peer
