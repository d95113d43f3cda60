"""Issue 4: a cold build of examples/multi-stage, empty caches on both sides
with the busybox base image already loaded. Untimed before every run: farm
gets a new --root and stat cache, `farm load`s the base and builds
`FROM busybox:latest` + `RUN true` once, so that the base is unpacked as
`docker load` unpacks it; Docker runs `docker builder prune --all` and removes
the previous result. Both then sync the disks, and the build is timed from
process start to exit. Target: farm no slower. farm is also timed from a new
--root without that priming build, the base unpacked inside the timed build.

    bazel run //bench:cold_build_bench [-- --runs N --no-docker]
        [--context DIR] [--baseline-farm OLD_FARM_BINARY]

--context bench/e2e/fifty_runs builds a Dockerfile of 50 short RUN steps,
where what each RUN costs shows. --baseline-farm times an older farm binary
(say, one built before a change) as a third side in the same run.
"""

import os
import sys

import docker_peer
import harness

TAG = "bench/multi-stage-cold:latest"


def main():
    p = harness.parser(__doc__, runs=7, warmup=1)
    p.add_argument("--context", default=harness.example("multi-stage"))
    p.add_argument("--baseline-farm", default=None,
                   help="an older farm binary, timed as a third side")
    args = harness.parse(p)
    farm_ms, unpacking_ms, docker_ms, baseline_ms = (
        harness.Samples(), harness.Samples(), harness.Samples(),
        harness.Samples())
    name = os.path.basename(os.path.normpath(args.context))
    title = f"Cold build of {name} (embedded farm)"
    with harness.Run(args, "farm-bench-cold-", title) as run:
        base = run.base_image()
        peer = docker_peer.start_for(run, base)

        def farm_step(i, unpack_base, samples, binary=args.farm):
            farm, env = harness.fresh_farm(binary, run.work, base, unpack_base)
            os.sync()
            ms, _ = harness.timed(farm + ["build", "-q", "-t", TAG,
                                          args.context], env=env)
            if i >= 0:
                samples.add(ms)

        def docker_step(i):
            peer.docker("rmi", "--force", TAG, check=False)
            peer.prune()
            os.sync()
            ms, _ = harness.timed(peer.build_cmd(args.context, TAG, "-q"),
                                  env=peer.env)
            if i >= 0:
                docker_ms.add(ms)

        steps = [lambda i: farm_step(i, True, farm_ms),
                 lambda i: farm_step(i, False, unpacking_ms)]
        if args.baseline_farm:
            baseline = os.path.abspath(args.baseline_farm)
            steps.append(lambda i: farm_step(i, True, baseline_ms, baseline))
        if peer is not None:
            steps.append(docker_step)
        harness.interleave(args.runs, steps, warmup=args.warmup)
        report = run.report
        ratio = harness.ratio(docker_ms.median(), farm_ms.median())
        report.add("cold build, base unpacked (median)", farm_ms.describe(),
                   docker_ms.describe(), "farm ≤ Docker",
                   None if ratio is None else ratio >= 1)
        if ratio is not None:
            report.add("Docker's time ÷ farm's", f"{ratio:.2f}", "")
        report.add("cold build, base unpacked during the build (median)",
                   unpacking_ms.describe(), "")
        if args.baseline_farm:
            report.add("cold build, base unpacked, baseline farm (median)",
                       baseline_ms.describe(), docker_ms.describe())
            report.add("added by this farm over the baseline (median)",
                       harness.format_ms(farm_ms.median() -
                                         baseline_ms.median()), "")
            report.note(f"baseline farm: {args.baseline_farm}")
        report.note(f"{args.runs} timed runs per side after {args.warmup} "
                    "warm-up run(s), alternating; the caches are emptied "
                    "before every run.")
        report.note("`docker load` unpacks the base into overlay2, so the "
                    "first row gives farm's base the same head start; the "
                    "last row is a new --root where the base layer is "
                    "unpacked by the timed build itself.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
