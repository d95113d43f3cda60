"""Issue 12: a whole build over a big context, 20,000 files / 300 MiB of
pseudo-random bytes under src/, with the Dockerfile

    FROM busybox:latest
    COPY src /src
    RUN du -s /src > /size

Each round starts from empty caches on both sides and builds three times: a
cold build, an unchanged rebuild (fully cached) and a rebuild after one file
changed. farm runs embedded (`farm --root R build`, a new root with the base
unpacked each round), remote (`farm --remote`, a new farm-scheduler and
--workers farm-workers each round) or both; Docker's BuildKit runs in a
dockerd of the benchmark's own, `docker builder prune --all` before each
round. Every build is timed from process start to exit. Targets, Docker's
time over farm's: cold ≥ 1.5×, unchanged ≥ 4×, one file changed ≥ 3×.

    bazel run //bench:big_context_bench [-- --runs N --files N
        --megabytes N --mode embedded|remote|both --workers N --no-docker]
"""

import itertools
import os
import sys

import context_tree
import docker_peer
import harness
import progress

TAG = "bench/big-context:latest"
DOCKERFILE = "FROM busybox:latest\nCOPY src /src\nRUN du -s /src > /size\n"
STEPS = ("COPY src /src", "RUN du -s /src > /size")
TARGETS = {"cold": 1.5, "unchanged rebuild": 4.0, "one file changed": 3.0}
CASES = tuple(TARGETS)
CACHED = "cached"


class Side:
    """Per case: whole-build ms; per case and step, ms or times cached."""

    def __init__(self):
        self.build = {c: harness.Samples() for c in CASES}
        self.steps = {(c, s): harness.Samples() for c in CASES for s in STEPS}
        self.cached = {(c, s): 0 for c in CASES for s in STEPS}

    def add(self, case, build_ms, steps):
        """`steps`: instruction → ms, CACHED, or None when not shown."""
        self.build[case].add(build_ms)
        for step, ms in steps.items():
            if ms == CACHED:
                self.cached[case, step] += 1
            elif ms is not None:
                self.steps[case, step].add(ms)

    def step_cell(self, case):
        cells = []
        for step in STEPS:
            samples = self.steps[case, step]
            if samples.ms:
                text = harness.format_ms(samples.median())
            elif self.cached[case, step]:
                text = CACHED
            else:
                text = "n/a"
            cells.append(f"{step.split()[0]} {text}")
        if all(cell.endswith(" n/a") for cell in cells):
            return "n/a"
        return ", ".join(cells)


def prepare(ctx, case, generation):
    """Changes one file before the case that needs it; flushes the disks."""
    if case == "one file changed":
        context_tree.change_one(os.path.join(ctx, "src"), next(generation))
    os.sync()


def farm_cases(farm, env, ctx, side, record, generation):
    """The three builds against a farm with empty caches; `farm` is the
    command up to the verb."""
    for case in CASES:
        prepare(ctx, case, generation)
        ms, proc = harness.timed(farm + ["build", "--progress", "json", "-t",
                                         TAG, ctx], env=env)
        events, result = progress.farm_json(proc.stdout + "\n" + proc.stderr)
        if not result or not result.get("ok"):
            raise RuntimeError(f"farm build failed:\n{proc.stderr[-2000:]}")
        if case == "unchanged rebuild" and result.get("jobs_dispatched"):
            raise RuntimeError("farm's unchanged rebuild was not fully "
                               f"cached: {result['jobs_dispatched']} jobs")
        if record >= 0:
            side.add(case, ms, {
                s: CACHED if progress.farm_step_cached(events, s)
                else progress.farm_step_ms(events, s) for s in STEPS})


def embedded_round(args, work, base, ctx, side, record, generation):
    farm, env = harness.fresh_farm(args.farm, work, base, unpack_base=True)
    farm_cases(farm, env, ctx, side, record, generation)


def remote_round(args, work, base, ctx, side, record, generation):
    with harness.fresh_cluster(args, work, base, args.workers) as (farm, env):
        farm_cases(farm, env, ctx, side, record, generation)


def docker_round(peer, ctx, side, record, generation):
    peer.docker("rmi", "--force", TAG, check=False)
    peer.prune()
    for case in CASES:
        prepare(ctx, case, generation)
        ms, proc = harness.timed(
            peer.build_cmd(ctx, TAG, "--progress", "plain"), env=peer.env)
        steps = progress.BuildKitSteps(proc.stdout + proc.stderr)
        if case == "unchanged rebuild" and not steps.all_cached():
            raise RuntimeError("Docker's unchanged rebuild was not fully "
                               f"cached:\n{proc.stderr[-2000:]}")
        if record >= 0:
            side.add(case, ms, {
                s: CACHED if steps.instruction_cached(s)
                else steps.instruction_ms(s) for s in STEPS})


def report(out, args, farms, docker, total):
    """Adds the rows and notes of every farm mode and Docker to `out`."""
    for mode, farm in farms.items():
        for case in CASES:
            out.add(f"{mode}, {case}: whole build, client start to exit "
                    "(median)", farm.build[case].describe(),
                    docker.build[case].describe())
            speedup = harness.ratio(docker.build[case].median(),
                                    farm.build[case].median())
            target = TARGETS[case]
            out.add(f"{mode}, {case}: Docker's time ÷ farm's",
                    "n/a" if speedup is None else f"{speedup:.2f}×", "",
                    f"≥ {target:g}×",
                    None if speedup is None else speedup >= target)
            out.add(f"{mode}, {case}: steps (median)", farm.step_cell(case),
                    docker.step_cell(case))
    out.note(f"Tree: {args.files:,} files of pseudo-random bytes in "
             f"{min(100, args.files)} directories under src/, "
             f"{harness.format_bytes(total)} in all.")
    out.note(f"{args.runs} round(s) per side after {args.warmup} warm-up "
             "round(s), alternating; each round starts from empty caches and "
             "builds cold, unchanged, then after one file changed; the disks "
             "are synced before every build.")
    if "embedded" in farms:
        out.note("embedded: a new --root per round with busybox loaded and "
                 "unpacked by an untimed build, as `docker load` unpacks it.")
    if "remote" in farms:
        out.note(f"remote: a new farm-scheduler and {args.workers} "
                 "farm-worker(s) on 127.0.0.1 per round, busybox loaded "
                 "with `farm load` and no untimed build before the cold "
                 "one.")
    out.note("Steps: farm's from its step durations (`--progress json`); "
             "Docker's from `--progress plain`, which rounds to 0.1 s.")


def main():
    p = harness.parser(__doc__, runs=3)
    p.add_argument("--files", type=int, default=20000)
    p.add_argument("--megabytes", type=int, default=300,
                   help="total size in MiB (default %(default)s)")
    p.add_argument("--mode", choices=("embedded", "remote", "both"),
                   default="both", help="which farm (default %(default)s)")
    p.add_argument("--workers", type=int, default=2,
                   help="farm-workers in remote mode (default %(default)s)")
    args = harness.parse(p)
    modes = ("embedded", "remote") if args.mode == "both" else (args.mode,)
    farms, docker = {mode: Side() for mode in modes}, Side()
    generation = itertools.count()
    with harness.Run(args, "farm-bench-big-context-",
                     f"Build over a big context: {args.files:,} files / "
                     f"{args.megabytes} MiB, COPY and RUN (issue 12)") as run:
        os.environ["TEST_TMPDIR"] = run.work  # where Cluster keeps its roots
        base = run.base_image()
        ctx = os.path.join(run.work, "context")
        total = context_tree.make_tree(os.path.join(ctx, "src"), args.files,
                                       args.megabytes << 20, dockerfile=None)
        with open(os.path.join(ctx, "Dockerfile"), "w") as f:
            f.write(DOCKERFILE)
        peer = docker_peer.start_for(run, base)

        def farm_step(mode):
            one = embedded_round if mode == "embedded" else remote_round
            work = os.path.join(run.work, mode)
            return lambda i: one(args, work, base, ctx, farms[mode], i,
                                 generation)

        steps = [farm_step(mode) for mode in modes]
        if peer is not None:
            steps.append(lambda i: docker_round(peer, ctx, docker, i,
                                                generation))
        harness.interleave(args.runs, steps, warmup=args.warmup)
        report(run.report, args, farms, docker, total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
