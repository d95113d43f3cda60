"""What farm's end-to-end benchmarks share: finding the binaries and the
checkout, the busybox base image, timing loops, and the result table each
benchmark prints (progress.py reads the builds' output).

Each *_bench.py measures farm and its peer (Docker's BuildKit, see
docker_peer.py) in the same run, alternating between them so that load from
other work on the machine falls on both alike."""

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))  # the checkout, or runfiles
sys.path.insert(0, os.path.join(REPO, "tests", "distributed"))


def source_root():
    """The checkout: `bazel run` names it; otherwise this file's own."""
    return os.environ.get("BUILD_WORKSPACE_DIRECTORY") or REPO


def parser(description, runs, warmup=0):
    """The flags every benchmark takes; `bazel run` passes the binaries."""
    p = argparse.ArgumentParser(
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    bin_dir = os.path.join(source_root(), "bazel-bin")
    p.add_argument("--farm", default=os.path.join(bin_dir, "client", "farm"))
    p.add_argument("--scheduler", default=os.path.join(
        bin_dir, "scheduler", "farm-scheduler"))
    p.add_argument("--worker",
                   default=os.path.join(bin_dir, "worker", "farm-worker"))
    p.add_argument("--busybox-script",
                   default=os.path.join(source_root(), "tests", "fixtures",
                                        "make_busybox_image.sh"))
    p.add_argument("--make-pki",
                   default=os.path.join(source_root(), "tests", "security",
                                        "make_pki.sh"))
    p.add_argument("--runs", type=int, default=runs,
                   help="timed repetitions per side (default %(default)s)")
    p.add_argument("--warmup", type=int, default=warmup,
                   help="untimed runs per side first (default %(default)s)")
    p.add_argument("--no-docker", action="store_true",
                   help="measure farm only")
    p.add_argument("--docker-network", choices=("default", "host"),
                   default="default",
                   help="Docker's RUN network: its default bridge, or the "
                        "host's (default %(default)s)")
    p.add_argument("--workdir", default=None,
                   help="where to keep state (default: a new temp dir)")
    return p


def parse(p):
    """Parses the command line; binary paths become absolute, since
    `bazel run` passes them relative to the runfiles."""
    args = p.parse_args()
    for name in ("farm", "scheduler", "worker", "busybox_script", "make_pki"):
        setattr(args, name, os.path.abspath(getattr(args, name)))
    return args


def example(name):
    return os.path.join(source_root(), "examples", name)


def make_workdir(args, prefix):
    if args.workdir:
        os.makedirs(args.workdir, exist_ok=True)
        return args.workdir
    return tempfile.mkdtemp(prefix=prefix)


class Run:
    """One benchmark run: its work dir (kept when --workdir names it), the
    report printed at the end, and what to stop then, newest first."""

    def __init__(self, args, prefix, title):
        self.args = args
        self.work = make_workdir(args, prefix)
        self.report = Report(title)
        self._cleanups = []
        # Whether the run needs emulators (then their cost is no unfairness).
        self.needs_binfmt = False

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        failures = []
        for cleanup in reversed(self._cleanups):
            try:
                cleanup()
            except Exception as e:  # the others must still run
                failures.append(e)
        if not self.args.workdir:
            shutil.rmtree(self.work, ignore_errors=True)
        if exc_type is None and failures:
            raise failures[0]
        if exc_type is None:
            self.report.note(machine_note(warn_binfmt=not self.needs_binfmt))
            print(self.report.render())
        return False

    def at_exit(self, cleanup):
        self._cleanups.append(cleanup)

    def base_image(self):
        return busybox_tar(self.args, self.work)


def busybox_tar(args, workdir):
    """The deterministic busybox:latest archive both sides load."""
    path = os.path.join(workdir, "busybox.tar")
    if not os.path.exists(path):
        subprocess.run([args.busybox_script, path], check=True)
    return path


def run(cmd, env=None, check=True):
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n"
                           f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return proc


def timed(cmd, env=None):
    """Runs `cmd` to completion; returns (milliseconds, CompletedProcess)."""
    start = time.perf_counter()
    proc = run(cmd, env=env)
    return (time.perf_counter() - start) * 1000.0, proc


def farm_env(cache_home):
    """farm's environment with its stat cache under `cache_home`."""
    env = dict(os.environ)
    env["XDG_CACHE_HOME"] = cache_home
    return env


def fresh_farm(binary, work, base, unpack_base, base_ref="busybox:latest"):
    """An embedded farm root under `work` with nothing but the base image
    `base` loaded, and its own stat cache: the farm command up to the verb,
    and its environment. With `unpack_base`, an untimed build of `FROM
    base_ref` + `RUN true` unpacks the base, as `docker load` does."""
    root = os.path.join(work, "farm")
    cache_home = os.path.join(work, "cache-home")
    shutil.rmtree(root, ignore_errors=True)
    shutil.rmtree(cache_home, ignore_errors=True)
    env = farm_env(cache_home)
    farm = [binary, "--root", root]
    run(farm + ["load", "-i", base], env=env)
    if unpack_base:
        unpack(farm, env, work, base_ref)
    return farm, env


@contextlib.contextmanager
def fresh_cluster(args, work, base, workers):
    """A new farm-scheduler and `workers` farm-workers on 127.0.0.1 with the
    image archive `base` loaded, and an empty stat cache: yields the farm
    command up to the verb and its environment, and stops them after."""
    from cluster import Cluster  # tests/distributed, on sys.path above
    cache_home = os.path.join(work, "cache-home")
    shutil.rmtree(cache_home, ignore_errors=True)
    cluster = Cluster(args.farm, args.scheduler, args.worker, workers=workers,
                      lease_seconds=10)
    try:
        cluster.run("load", "-i", base)
        yield [args.farm, "--remote", cluster.address], farm_env(cache_home)
    finally:
        cluster.close()


def unpack(farm, env, work, base_ref):
    """An untimed build of `FROM base_ref` + `RUN true` with `farm` (the
    command up to the verb), so the worker holds the base unpacked, as
    `docker load` leaves it."""
    prime = os.path.join(work, "prime")
    os.makedirs(prime, exist_ok=True)
    with open(os.path.join(prime, "Dockerfile"), "w") as f:
        f.write(f"FROM {base_ref}\nRUN true\n")
    run(farm + ["build", "-q", "-t", "prime", prime], env=env)


class Samples:
    """Milliseconds of one measured thing."""

    def __init__(self):
        self.ms = []

    def add(self, ms):
        self.ms.append(ms)

    def median(self):
        return statistics.median(self.ms) if self.ms else None

    def describe(self):
        if not self.ms:
            return "n/a"
        return (f"{format_ms(self.median())} "
                f"(min {format_ms(min(self.ms))}, "
                f"max {format_ms(max(self.ms))}, n={len(self.ms)})")


def format_ms(ms):
    if ms is None:
        return "n/a"
    if ms >= 10000:
        return f"{ms / 1000:.1f} s"
    if ms >= 1000:
        return f"{ms / 1000:.2f} s"
    return f"{ms:.1f} ms"


def format_bytes(n):
    if n is None:
        return "n/a"
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def interleave(runs, steps, warmup=0):
    """Calls each of `steps` in turn, `warmup` + `runs` times; a step is told
    the run number, negative for the warm-up rounds it should not record."""
    for i in range(-warmup, runs):
        for step in steps:
            step(i)


# --- the table ------------------------------------------------------------

class Report:
    """One Markdown table: what, farm, Docker, ratio, target, met."""

    def __init__(self, title):
        self.title = title
        self.rows = []
        self.notes = []

    def add(self, what, farm, peer, target="", met=None):
        self.rows.append((what, farm, peer, target, met))

    def note(self, text):
        self.notes.append(text)

    def render(self):
        out = [f"### {self.title}", "",
               "| measured | farm | Docker (BuildKit) | target | met |",
               "|---|---|---|---|---|"]
        for what, farm, peer, target, met in self.rows:
            verdict = "" if met is None else ("yes" if met else "**no**")
            out.append(f"| {what} | {farm} | {peer} | {target} | {verdict} |")
        out.append("")
        out.extend(f"- {n}" for n in self.notes)
        return "\n".join(out) + "\n"


def ratio(peer_ms, farm_ms):
    if not peer_ms or not farm_ms:
        return None
    return peer_ms / farm_ms


def binfmt_enabled():
    """Whether binfmt_misc hands foreign binaries to emulators (QEMU)."""
    try:
        with open("/proc/sys/fs/binfmt_misc/status") as f:
            return f.read().strip() == "enabled"
    except OSError:
        return False


def machine_note(warn_binfmt=True):
    cores = os.cpu_count()
    load = os.getloadavg()
    note = (f"{cores} cores, load average {load[0]:.2f} at the end of the run "
            f"(the machine is shared)")
    if binfmt_enabled() and warn_binfmt:
        # Docker 20.10's BuildKit probes every registered emulator on each
        # build: a fully cached build took 1.65 s instead of 0.17 s here.
        note += ("; binfmt_misc emulators ENABLED, which slows Docker's "
                 "BuildKit by about 1.5 s a build: for a fair run, "
                 "echo 0 > /proc/sys/fs/binfmt_misc/status first")
    return note
