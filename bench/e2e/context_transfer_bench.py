"""Issue 5: context upload of 20,000 files / 300 MiB over `farm --remote`,
next to Docker's context transfer of the same tree. The Dockerfile is
`FROM busybox:latest` + `COPY . /ctx`, so every file is needed. Each run
starts from empty caches on both sides (a new farm-scheduler and farm-worker
with an empty CAS and stat cache; `docker builder prune --all`) and builds
three times: the first build, an unchanged rebuild, and a rebuild after one
file changed.

farm's figure is its context phase: from the start of the walk (hashing with
the stat cache) until the farm has every blob it asked for (manifest sent,
NeedBlobs answered). Docker's is BuildKit's `[internal] load build context`
step, which walks, compares with its previous copy and transfers.

    bazel run //bench:context_transfer_bench [-- --runs N --files N
        --megabytes N --no-docker]
"""

import os
import sys

import context_tree
import docker_peer
import harness
import progress

TAG = "bench/context:latest"
CASES = ("first build", "unchanged rebuild", "one file changed")


class Side:
    """Per case: context-phase ms, bytes sent, whole-build ms."""

    def __init__(self):
        self.context = {c: harness.Samples() for c in CASES}
        self.build = {c: harness.Samples() for c in CASES}
        self.sent = {c: [] for c in CASES}

    def add(self, case, context_ms, build_ms, sent):
        if context_ms is not None:  # None: the output did not show it
            self.context[case].add(context_ms)
        self.build[case].add(build_ms)
        self.sent[case].append(sent)


def farm_run(args, work, tree, base, side, record):
    with harness.fresh_cluster(args, work, base, workers=1) as (farm, env):
        for n, case in enumerate(CASES):
            if case == "one file changed":
                context_tree.change_one(tree, generation=2 * record + n)
            ms, proc = harness.timed(
                farm + ["build", "--progress", "json", "-t", TAG, tree],
                env=env)
            events, result = progress.farm_json(
                proc.stdout + "\n" + proc.stderr)
            if not result or not result.get("ok"):
                raise RuntimeError(
                    f"farm build failed:\n{proc.stderr[-2000:]}")
            if record >= 0:
                side.add(case, progress.farm_context_ms(events), ms,
                         int(result.get("uploaded_bytes", 0)))


def docker_run(peer, tree, side, record):
    peer.docker("rmi", "--force", TAG, check=False)
    peer.prune()
    for n, case in enumerate(CASES):
        if case == "one file changed":
            context_tree.change_one(tree, generation=2 * record + n + 1)
        ms, proc = harness.timed(
            peer.build_cmd(tree, TAG, "--progress", "plain"), env=peer.env)
        steps = progress.BuildKitSteps(proc.stdout + proc.stderr)
        if record >= 0:
            side.add(case, steps.step_ms("[internal] load build context"), ms,
                     steps.context_bytes)


def docker_context_cell(samples, sent):
    """BuildKit prints step times to 0.1 s: a median under 50 ms shows as 0."""
    median = samples.median()
    if median is None:
        return "n/a"
    if median < 50:
        text = f"< 50 ms (BuildKit shows 0.0 s; n={len(samples.ms)})"
    else:
        text = samples.describe()
    return f"{text}, sent {harness.format_bytes(sent)}"


def report(out, farm, docker, files, total):
    """Adds the rows and notes of both sides to `out`."""
    for case in CASES:
        farm_sent = max(farm.sent[case], default=None)
        docker_sent = max((b for b in docker.sent[case] if b is not None),
                          default=None)
        target, met = "", None
        if case == "unchanged rebuild":
            target, met = "farm uploads 0 bytes", farm_sent == 0
        out.add(f"{case}: context phase (median)",
                f"{farm.context[case].describe()}, sent "
                f"{harness.format_bytes(farm_sent)}",
                docker_context_cell(docker.context[case], docker_sent),
                target, met)
    for case in CASES:
        out.add(f"{case}: whole build, client start to exit (median)",
                harness.format_ms(farm.build[case].median()),
                harness.format_ms(docker.build[case].median()))
    out.note(f"Tree: {files:,} files of pseudo-random bytes in 100 "
             f"directories, {harness.format_bytes(total)} in all, in the "
             "page cache (just written).")
    out.note("Bytes sent: farm's BuildResult.uploaded_bytes (blob bytes; the "
             "manifest is extra); Docker's last `transferring context:` "
             "figure. Docker's step times come from `--progress plain`, which "
             "rounds to 0.1 s; the whole-build rows are timed here for both.")


def main():
    p = harness.parser(__doc__, runs=3)
    p.add_argument("--files", type=int, default=20000)
    p.add_argument("--megabytes", type=int, default=300,
                   help="total size in MiB (default %(default)s)")
    args = harness.parse(p)
    farm, docker = Side(), Side()
    with harness.Run(args, "farm-bench-context-",
                     f"Context upload of {args.files:,} files / "
                     f"{args.megabytes} MiB (farm --remote to farm-scheduler "
                     "on 127.0.0.1)") as run:
        os.environ["TEST_TMPDIR"] = run.work  # where Cluster keeps its roots
        base = run.base_image()
        tree = os.path.join(run.work, "context")
        total = context_tree.make_tree(tree, args.files, args.megabytes << 20)
        peer = docker_peer.start_for(run, base)
        steps = [lambda i: farm_run(args, run.work, tree, base, farm, i)]
        if peer is not None:
            steps.append(lambda i: docker_run(peer, tree, docker, i))
        harness.interleave(args.runs, steps)
        report(run.report, farm, docker, args.files, total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
