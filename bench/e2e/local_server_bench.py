"""Issue 16: the local farm server. How long a command takes with the root's
server running and when it has to start one, next to the binary's own start
(`farm --version`) and `docker images` with dockerd running; and ten builds
of different Dockerfiles started at once on one root (embedded farm) next to
ten `docker build`s started at once, timed until the last one ends.

    bazel run //bench:local_server_bench [-- --runs N --no-docker]
"""

import os
import subprocess
import sys
import time

import docker_peer
import harness

DOCKERFILE = """FROM busybox:latest AS base
RUN echo shared > /shared
FROM base
RUN echo {n} > /n && sleep 0.2
"""


def contexts(work, count, salt):
    """`count` contexts whose Dockerfiles differ in their last RUN."""
    out = []
    for n in range(count):
        ctx = os.path.join(work, f"ctx-{salt}-{n}")
        os.makedirs(ctx, exist_ok=True)
        with open(os.path.join(ctx, "Dockerfile"), "w") as f:
            f.write(DOCKERFILE.format(n=f"{salt}-{n}"))
        out.append(ctx)
    return out


def all_at_once(commands, env):
    """Starts every command at once; milliseconds until the last ends."""
    start = time.perf_counter()
    procs = [subprocess.Popen(c, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE) for c in commands]
    for p, c in zip(procs, commands):
        _, err = p.communicate()
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(c)} failed:\n{err.decode()[-2000:]}")
    return (time.perf_counter() - start) * 1000.0


def main():
    p = harness.parser(__doc__, runs=20, warmup=3)
    p.add_argument("--concurrent", type=int, default=10)
    args = harness.parse(p)
    with harness.Run(args, "farm-bench-local-",
                     "The local server: commands and concurrent builds") as run:
        base = run.base_image()
        env = harness.farm_env(os.path.join(run.work, "cache-home"))
        farm = [args.farm, "--root", os.path.join(run.work, "farm")]
        harness.run(farm + ["load", "-i", base], env=env)
        peer = docker_peer.start_for(run, base)

        version, warm, cold, docker = (harness.Samples() for _ in range(4))
        stop = farm + ["server", "stop"]

        def step_version(i):
            ms, _ = harness.timed([args.farm, "--version"], env=env)
            if i >= 0:
                version.add(ms)

        def step_warm(i):
            ms, _ = harness.timed(farm + ["images"], env=env)
            if i >= 0:
                warm.add(ms)

        def step_cold(i):
            harness.run(stop, env=env)
            ms, _ = harness.timed(farm + ["images"], env=env)
            if i >= 0:
                cold.add(ms)

        steps = [step_version, step_warm, step_cold]
        if peer is not None:
            def step_docker(i):
                ms, _ = harness.timed([peer.docker_bin, "images"],
                                      env=peer.env)
                if i >= 0:
                    docker.add(ms)
            steps.append(step_docker)
        harness.interleave(args.runs, steps, warmup=args.warmup)
        run.report.add("`farm --version` (the binary's own start)",
                       version.describe(), "")
        run.report.add("`farm images`, server running / `docker images`",
                       warm.describe(), docker.describe())
        run.report.add("`farm images`, server started by the command",
                       cold.describe(), docker.describe())

        # Concurrent builds: each side builds fresh Dockerfiles (a new salt
        # each round), all at once; the shared first stage is cached after
        # the first round on both sides.
        farm_ms, docker_ms = harness.Samples(), harness.Samples()
        rounds = max(1, args.runs // 5)
        for r in range(rounds):
            ctxs = contexts(run.work, args.concurrent, f"f{r}")
            farm_ms.add(all_at_once(
                [farm + ["build", "-q", c] for c in ctxs], env))
            if peer is not None:
                ctxs = contexts(run.work, args.concurrent, f"d{r}")
                docker_ms.add(all_at_once(
                    [peer.build_cmd(c, f"bench-{r}-{i}", "-q")
                     for i, c in enumerate(ctxs)], peer.env))
        run.report.add(f"{args.concurrent} builds started at once, until the "
                       "last ends", farm_ms.describe(), docker_ms.describe())
        run.report.note(
            f"{args.runs} timed runs of each command after {args.warmup} "
            "warm-up runs, alternating; the cold side stops the server "
            f"(untimed) before each. {rounds} rounds of {args.concurrent} "
            "concurrent builds per side, each round of new Dockerfiles whose "
            "last RUN differs (one `RUN` runs per build, plus a 0.2 s sleep).")
        harness.run(stop, env=env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
