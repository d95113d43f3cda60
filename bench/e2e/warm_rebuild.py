"""A fully cached rebuild timed on both sides, end to end as a user sees it
(the client process from start to exit): all of cached_rebuild_bench.py (the
embedded farm) and remote_rebuild_bench.py (farm-scheduler and farm-worker
on loopback) but how farm's side is started."""

import os

import docker_peer
import harness
import progress

# A fresh dockerd answers a warm rebuild in ~140 ms for its first dozen or so
# builds and in ~60-90 ms once it has served a few dozen; the warm-up runs
# let it reach that steady state before anything is timed.
WARMUP = 30


def _check_farm_cached(farm_cmd, env, context, tag):
    out = harness.run(farm_cmd + ["build", "--progress", "json", "-t", tag,
                                  context], env=env)
    _, result = progress.farm_json(out.stdout + "\n" + out.stderr)
    if not result or not result.get("ok"):
        raise RuntimeError(f"farm's rebuild failed:\n{out.stderr[-2000:]}")
    if result.get("jobs_dispatched", 0) != 0:
        raise RuntimeError("farm's rebuild was not fully cached: "
                           f"{result['jobs_dispatched']} jobs dispatched")


def _check_docker_cached(peer, context, tag):
    out = harness.run(peer.build_cmd(context, tag, "--progress", "plain"),
                      env=peer.env)
    if not progress.BuildKitSteps(out.stdout + out.stderr).all_cached():
        raise RuntimeError("Docker's rebuild was not fully cached:\n"
                           f"{out.stderr[-2000:]}")


def measure(args, report, farms, peer, context, tag, max_farm_ms=None):
    """Fills every cache with one build each, checks that a second build is
    fully cached on every side, then times `args.runs` rebuilds per side,
    alternating. `farms` is a list of (label, farm command up to the verb,
    environment[, untimed step before each build]), each with the base image
    already loaded; `peer` a started DockerPeer with it loaded, or None.
    Returns the samples by label."""
    samples = {}
    steps = []
    for label, farm_cmd, env, *before in farms:
        before = before[0] if before else (lambda: None)
        harness.run(farm_cmd + ["build", "-q", "-t", tag, context], env=env)
        _check_farm_cached(farm_cmd, env, context, tag)
        samples[label] = harness.Samples()

        def farm_step(i, farm_cmd=farm_cmd, env=env, label=label,
                      before=before):
            before()
            ms, _ = harness.timed(farm_cmd + ["build", "-q", "-t", tag,
                                              context], env=env)
            if i >= 0:
                samples[label].add(ms)

        steps.append(farm_step)
    docker_ms = harness.Samples()
    if peer is not None:
        harness.run(peer.build_cmd(context, tag, "-q"), env=peer.env)
        _check_docker_cached(peer, context, tag)

        def docker_step(i):
            ms, _ = harness.timed(peer.build_cmd(context, tag, "-q"),
                                  env=peer.env)
            if i >= 0:
                docker_ms.add(ms)

        steps.append(docker_step)
    harness.interleave(args.runs, steps, warmup=args.warmup)

    for label, farm_ms in samples.items():
        suffix = f", {label}" if len(samples) > 1 else ""
        speedup = harness.ratio(docker_ms.median(), farm_ms.median())
        report.add(f"fully cached rebuild{suffix}, client start to exit "
                   "(median)", farm_ms.describe(), docker_ms.describe())
        report.add(f"farm's speed-up over Docker{suffix}",
                   "" if speedup is None else f"{speedup:.1f}×", "",
                   "≥ 3×", None if speedup is None else speedup >= 3)
        if max_farm_ms is not None:
            report.add(f"farm's rebuild{suffix} (median)",
                       harness.format_ms(farm_ms.median()), "",
                       f"< {max_farm_ms:.0f} ms",
                       farm_ms.median() < max_farm_ms)
    sides = " and ".join(["farm " + label for label in samples] +
                         (["Docker"] if peer is not None else []))
    report.note(f"{args.runs} timed runs per side after {args.warmup} warm-up "
                f"runs, {sides} alternating; all quiet (-q); the second "
                "build of each side was checked to be fully cached (farm: no "
                "job dispatched; Docker: every step CACHED).")
    return samples, docker_ms


def main(doc, example, tag, title, open_farm, max_farm_ms=None):
    """Runs a warm-rebuild benchmark of `example` (a folder of examples/).
    `open_farm(run, base, env)` starts farm's side with the base image
    loaded and returns the farm command up to the verb, or a list of
    (label, command, environment) for several sides."""
    p = harness.parser(doc, runs=20, warmup=WARMUP)
    p.add_argument("--context", default=harness.example(example))
    args = harness.parse(p)
    with harness.Run(args, f"farm-bench-{example}-", title) as run:
        base = run.base_image()
        env = harness.farm_env(os.path.join(run.work, "cache-home"))
        farms = open_farm(run, base, env)
        if farms and isinstance(farms[0], str):
            farms = [("", farms, env)]
        peer = docker_peer.start_for(run, base)
        measure(args, run.report, farms, peer, args.context, tag, max_farm_ms)
    return 0
