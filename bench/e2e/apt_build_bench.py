"""Issue 12: a cold multi-stage C build whose RUN installs gcc, make and
libc6-dev (about 200 MB unpacked) into a Debian bookworm base made by
mmdebstrap, with the Dockerfile

    FROM debian:12-slim AS build
    RUN <apt at the local repository> && apt-get update
        && apt-get install -y --no-install-recommends gcc make libc6-dev
        && rm -rf /var/lib/apt/lists/*
    COPY hello.c Makefile /src/
    RUN make -C /src
    FROM debian:12-slim
    COPY --from=build /src/hello /usr/local/bin/hello
    CMD ["hello"]

The mirror's speed does not count: before anything is timed, the .debs the
install needs (the closure over the base's own dpkg status) are downloaded
once with the host's apt-get, made a flat repository with dpkg-scanpackages
and served over HTTP from the host's non-loopback address, which a RUN
reaches on both sides (farm's through slirp4netns, Docker's through its
bridge). The RUN's sources.list names only that repository.

Every build is cold: farm gets a new --root (embedded, the base loaded and
unpacked by an untimed build, as `docker load` unpacks it) or a new
scheduler and workers (remote, the base loaded and unpacked the same way);
Docker runs `docker builder prune --all` and removes the previous result. Timed from process start to
exit; the table has the medians of the whole build and of every step.
Target: farm no slower than Docker.

    bazel run -c opt //bench:apt_build_bench [-- --runs N --no-docker
        --mode embedded|remote|both --workers N --repo-host ADDR]

Needs root, Debian's mirror once (for the base, cached by
tests/network/make_debian_image.py, and the .debs, cached under --workdir),
dpkg-scanpackages (dpkg-dev) and, for the Docker column, docker.io.
"""

import functools
import http.server
import os
import shutil
import subprocess
import sys
import tarfile
import threading

import docker_peer
import harness
import progress

TAG = "bench/apt-build:latest"
BASE = "debian:12-slim"  # make_debian_image.py's tag
PACKAGES = ("gcc", "make", "libc6-dev")
INSTALL = ("apt-get install -y --no-install-recommends " + " ".join(PACKAGES))
HELLO_C = ('#include <stdio.h>\n\nint main(void) {\n'
           '  puts("hello from farm\'s apt benchmark");\n  return 0;\n}\n')
MAKEFILE = "hello: hello.c\n\t$(CC) -O2 -o $@ $<\n"


def dockerfile(repo_url):
    apt = (f"echo 'deb [trusted=yes] {repo_url} ./' > /etc/apt/sources.list"
           " && rm -rf /etc/apt/sources.list.d/*"
           f" && apt-get update && {INSTALL} && rm -rf /var/lib/apt/lists/*")
    return [f"FROM {BASE} AS build", f"RUN {apt}",
            "COPY hello.c Makefile /src/", "RUN make -C /src",
            f"FROM {BASE}",
            "COPY --from=build /src/hello /usr/local/bin/hello",
            'CMD ["hello"]']


# --- the base and the package repository ----------------------------------

def debian_base(args, work):
    """The docker-archive of the mmdebstrap base; kept in the work dir, the
    root filesystem cached by make_debian_image.py in --base-cache."""
    path = os.path.join(work, "debian.tar")
    if not os.path.exists(path):
        subprocess.run([sys.executable, args.debian_script, path,
                        "--cache", args.base_cache, "--mirror", args.mirror],
                       check=True)
    return path


def _apt_options(state):
    """apt-get options that resolve against the base's dpkg status and keep
    lists and downloads under `state`, leaving the host's apt alone."""
    return ["-o", f"Dir::State::status={state}/var/lib/dpkg/status",
            "-o", f"Dir::State::Lists={state}/lists",
            "-o", f"Dir::Etc::SourceList={state}/etc/apt/sources.list",
            "-o", "Dir::Etc::SourceParts=/nonexistent",
            "-o", f"Dir::Cache={state}/cache",
            "-o", f"Dir::Cache::archives={state}/archives",
            "-o", "Debug::NoLocking=1"]


def package_repo(base, work):
    """A flat apt repository under the work dir holding every .deb that
    `apt-get install PACKAGES` needs on the base; made once."""
    repo = os.path.join(work, "apt-repo")
    if os.path.exists(os.path.join(repo, "Packages.gz")):
        return repo
    for tool in ("apt-get", "dpkg-scanpackages", "gzip"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is not on PATH; the local package "
                               "repository needs it (dpkg-scanpackages is "
                               "in Debian's dpkg-dev)")
    state = os.path.join(work, "apt-state")
    shutil.rmtree(state, ignore_errors=True)
    with tarfile.open(base) as archive:  # the docker-archive's one layer
        layer = next(m for m in archive if m.name.endswith("/layer.tar"))
        with tarfile.open(fileobj=archive.extractfile(layer)) as rootfs:
            for name in ("./var/lib/dpkg/status", "./etc/apt/sources.list"):
                rootfs.extract(name, state)
    for d in ("lists/partial", "cache", "archives/partial"):
        os.makedirs(os.path.join(state, d))
    options = _apt_options(state)
    harness.run(["apt-get", "-q", *options, "update"])
    harness.run(["apt-get", "-q", "-y", *options, "install", "--download-only",
                 "--no-install-recommends", *PACKAGES])
    tmp = repo + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.move(os.path.join(state, "archives"), tmp)
    shutil.rmtree(os.path.join(tmp, "partial"), ignore_errors=True)
    index = subprocess.run(["dpkg-scanpackages", "--multiversion", "."],
                           cwd=tmp, capture_output=True, text=True,
                           check=True)
    with open(os.path.join(tmp, "Packages"), "w") as f:
        f.write(index.stdout)
    subprocess.run(["gzip", "-k", "-9", "Packages"], cwd=tmp, check=True)
    os.replace(tmp, repo)
    shutil.rmtree(state, ignore_errors=True)
    return repo


def host_address():
    """The host's address on its default route: reachable from farm's
    slirp4netns (which refuses the host's loopback) and Docker's bridge."""
    out = harness.run(["ip", "-4", "route", "get", "1.1.1.1"]).stdout.split()
    return out[out.index("src") + 1]


class RepoServer:
    """The repository over HTTP on every address, port chosen by the
    kernel; counts the .debs it served."""

    def __init__(self, repo):
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path.endswith(".deb"):
                    server.debs_served += 1
                super().do_GET()

        self.debs_served = 0
        self.httpd = http.server.ThreadingHTTPServer(
            ("0.0.0.0", 0), functools.partial(Handler, directory=repo))
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def repo_size(repo):
    debs = [e for e in os.scandir(repo) if e.name.endswith(".deb")]
    return len(debs), sum(e.stat().st_size for e in debs)


# --- the sides ------------------------------------------------------------

class Side:
    """Whole-build ms, ms per step name and, per step that printed, ms from
    its last output line to its end, over the runs."""

    def __init__(self):
        self.build = harness.Samples()
        self.steps = {}  # name → Samples, in the order first seen
        self.tails = {}

    def add(self, ms, timeline, tails):
        self.build.add(ms)
        for name, step_ms, cached in timeline:
            if cached:
                raise RuntimeError(f"a cold build had a cached step: {name}")
            if step_ms is not None:
                self.steps.setdefault(name, harness.Samples()).add(step_ms)
        for name, tail_ms in tails.items():
            self.tails.setdefault(name, harness.Samples()).add(tail_ms)

    def median(self, name, of=None):
        samples = (self.steps if of is None else of).get(name)
        return None if samples is None else samples.median()


def keep_log(ctx, side, proc):
    """Keeps a build's output beside the context (under --workdir)."""
    logs = os.path.join(os.path.dirname(ctx), "logs")
    os.makedirs(logs, exist_ok=True)
    number = sum(1 for name in os.listdir(logs) if name.startswith(side))
    with open(os.path.join(logs, f"{side}-{number}.log"), "w") as f:
        f.write(proc.stdout + proc.stderr)


def serve_check(repo_server, before, what):
    if repo_server.debs_served == before:
        raise RuntimeError(f"{what} did not fetch from the local repository")


def farm_build(farm, env, ctx, side, record, repo_server, mode):
    before = repo_server.debs_served
    ms, proc = harness.timed(farm + ["build", "--progress", "json", "-t", TAG,
                                     ctx], env=env)
    keep_log(ctx, mode, proc)
    events, result = progress.farm_json(proc.stdout + "\n" + proc.stderr)
    if not result or not result.get("ok"):
        raise RuntimeError(f"farm build failed:\n{proc.stderr[-2000:]}")
    serve_check(repo_server, before, "farm's RUN")
    if record >= 0:
        side.add(ms, progress.farm_steps(events),
                 progress.farm_step_tails(events))


def embedded_round(args, work, base, ctx, side, record, repo_server):
    farm, env = harness.fresh_farm(args.farm, work, base, unpack_base=True,
                                   base_ref=BASE)
    os.sync()
    farm_build(farm, env, ctx, side, record, repo_server, "embedded")


def remote_round(args, work, base, ctx, side, record, repo_server):
    with harness.fresh_cluster(args, work, base, args.workers) as (farm, env):
        harness.unpack(farm, env, work, BASE)
        os.sync()
        farm_build(farm, env, ctx, side, record, repo_server, "remote")


def docker_round(peer, ctx, side, record, repo_server):
    peer.docker("rmi", "--force", TAG, check=False)
    peer.prune()
    os.sync()
    before = repo_server.debs_served
    ms, proc = harness.timed(peer.build_cmd(ctx, TAG, "--progress", "plain"),
                             env=peer.env)
    keep_log(ctx, "docker", proc)
    serve_check(repo_server, before, "Docker's RUN")
    if record >= 0:
        steps = progress.BuildKitSteps(proc.stdout + proc.stderr)
        side.add(ms, steps.timeline(), steps.tails())


# --- the table ------------------------------------------------------------

def short(instruction):
    return instruction if len(instruction) < 60 else instruction[:57] + "…"


def _docker_step(docker, instruction):
    """Docker's median for `instruction`, whose BuildKit name is
    `[stage n/m] instruction`."""
    for name in docker.steps:
        if not name.startswith("[internal]") and \
                name.split("] ", 1)[-1] == instruction:
            return docker.median(name), name
    return None, None


def report(out, farms, docker, instructions):
    for mode, farm in farms.items():
        speedup = harness.ratio(docker.build.median(), farm.build.median())
        out.add(f"{mode}: cold build, client start to exit (median)",
                farm.build.describe(), docker.build.describe(),
                "farm ≤ Docker", None if speedup is None else speedup >= 1)
        out.add(f"{mode}: Docker's time ÷ farm's",
                "n/a" if speedup is None else f"{speedup:.2f}×", "")
    matched = set()
    for instruction in instructions:
        docker_ms, name = _docker_step(docker, instruction)
        matched.add(name)
        cells = [harness.format_ms(farm.median(instruction))
                 for farm in farms.values()]
        out.add(f"step `{short(instruction)}` (median)", " / ".join(cells),
                harness.format_ms(docker_ms))
        if instruction.startswith("RUN ") and \
                instruction in next(iter(farms.values())).tails:
            cells = [harness.format_ms(farm.median(instruction, farm.tails))
                     for farm in farms.values()]
            out.add("… of which from its last output line to done "
                    "(median)", " / ".join(cells),
                    harness.format_ms(docker.median(name, docker.tails)))
    for mode, farm in farms.items():
        for name in farm.steps:
            if name not in instructions:
                out.add(f"{mode} farm step `{short(name)}`",
                        harness.format_ms(farm.median(name)), "")
    for name in docker.steps:
        if name not in matched:
            out.add(f"BuildKit step `{short(name)}`", "",
                    harness.format_ms(docker.median(name)))


def main():
    p = harness.parser(__doc__, runs=3)
    p.add_argument("--mode", choices=("embedded", "remote", "both"),
                   default="embedded", help="which farm (default %(default)s)")
    p.add_argument("--workers", type=int, default=1,
                   help="farm-workers in remote mode (default %(default)s)")
    p.add_argument("--debian-script", default=os.path.join(
        harness.source_root(), "tests", "network", "make_debian_image.py"))
    p.add_argument("--base-cache", default=os.environ.get(
        "FARM_TEST_CACHE", "/var/cache/farm-test"),
                   help="where the mmdebstrap root filesystem is cached")
    p.add_argument("--mirror", default="http://deb.debian.org/debian")
    p.add_argument("--repo-host", default=None,
                   help="address RUN reaches the host at (default: the "
                        "host's address on its default route)")
    args = harness.parse(p)
    modes = ("embedded", "remote") if args.mode == "both" else (args.mode,)
    farms, docker = {mode: Side() for mode in modes}, Side()
    with harness.Run(args, "farm-bench-apt-",
                     "Cold build installing gcc, make and libc6-dev from a "
                     "local apt repository (issue 12)") as run:
        os.environ["TEST_TMPDIR"] = run.work  # where Cluster keeps its roots
        base = debian_base(args, run.work)
        repo = package_repo(base, run.work)
        server = RepoServer(repo)
        run.at_exit(server.close)
        url = f"http://{args.repo_host or host_address()}:{server.port}/"
        instructions = dockerfile(url)
        ctx = os.path.join(run.work, "context")
        os.makedirs(ctx, exist_ok=True)
        for name, text in (("Dockerfile", "\n".join(instructions) + "\n"),
                           ("hello.c", HELLO_C), ("Makefile", MAKEFILE)):
            with open(os.path.join(ctx, name), "w") as f:
                f.write(text)
        peer = docker_peer.start_for(run, base)

        def farm_step(mode):
            one = embedded_round if mode == "embedded" else remote_round
            work = os.path.join(run.work, mode)
            return lambda i: one(args, work, base, ctx, farms[mode], i, server)

        steps = [farm_step(mode) for mode in modes]
        if peer is not None:
            steps.append(lambda i: docker_round(peer, ctx, docker, i, server))
        harness.interleave(args.runs, steps, warmup=args.warmup)
        report(run.report, farms, docker, instructions)
        count, size = repo_size(repo)
        run.report.note(
            f"Packages: {count} .debs, {harness.format_bytes(size)}, the "
            f"closure of `{INSTALL}` over the base's dpkg status, served from "
            f"{url} (a flat repository, dpkg-scanpackages); RUN's own "
            "network on both sides (farm: slirp4netns; Docker: its bridge).")
        run.report.note(
            f"Base: `mmdebstrap --variant=minbase bookworm` as a one-layer "
            f"docker-archive tagged {BASE} (tests/network/"
            "make_debian_image.py), loaded by `farm load` and `docker load`.")
        run.report.note(
            f"{args.runs} cold build(s) per side after {args.warmup} warm-up "
            "run(s), alternating; embedded farm: a new --root with the base "
            "unpacked by an untimed build; remote: a new scheduler and "
            f"{args.workers} worker(s), the base loaded and unpacked the same "
            "way; Docker: "
            "`docker builder prune --all`. Disks synced before each build.")
        run.report.note(
            "Steps: farm's from its step durations (`--progress json`; "
            "with both modes, embedded / remote); BuildKit's from "
            "`--progress plain`, to 0.1 s. \"From its last output line to "
            "done\" is the end of the RUN after the command's last line "
            "(`Processing triggers for libc-bin`: ldconfig, the `rm`, the "
            "container's exit and the layer's commit); BuildKit's is its "
            "DONE time less the last line's timestamp.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
