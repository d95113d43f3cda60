"""Issue 13: a two-platform build of examples/multi-stage
(`--platform linux/amd64,linux/arm64`, arm64 emulated by QEMU through
binfmt_misc) next to the two single-platform builds, with the embedded farm;
and Docker 20.10's BuildKit building the two platforms one after the other,
since Debian's docker.io has no buildx and its image store cannot hold a
manifest list (`docker build --platform a,b` is refused).

Every build is cold: a new --root (or `docker builder prune --all`) before
it, with the bases loaded and unpacked by an untimed build. farm's base is
a multi-platform busybox:latest (an index that farm builds over Debian's
amd64 and arm64 busybox); Docker's busybox:latest is re-tagged to the image
of the platform it builds.

    bazel run //bench:multi_platform_bench [-- --runs N --no-docker]
"""

import os
import subprocess
import sys

import docker_peer
import harness

TAG = "bench/multi-platform:latest"
BOTH = "linux/amd64,linux/arm64"


def arm64_base(args, work):
    """Debian's arm64 busybox as an image archive tagged busybox-arm64."""
    busybox = subprocess.run([args.get_arm64_busybox], check=True,
                             capture_output=True, text=True).stdout.strip()
    out = os.path.join(work, "busybox-arm64.tar")
    harness.run([args.busybox_script, out, "--busybox", busybox, "--arch",
                 "arm64", "--tag", "busybox-arm64:latest"])
    return out


def fresh_multi_farm(args, work, amd, arm):
    """A new embedded root whose busybox:latest is an index over amd64 and
    arm64, both unpacked by an untimed two-platform build."""
    farm, env = harness.fresh_farm(args.farm, work, amd, unpack_base=False)
    harness.run(farm + ["load", "-i", arm], env=env)
    harness.run(farm + ["tag", "busybox", "busybox-amd64"], env=env)
    base = os.path.join(work, "multi-base")
    os.makedirs(base, exist_ok=True)
    with open(os.path.join(base, "Dockerfile"), "w") as f:
        f.write("FROM busybox-${TARGETARCH}\n")
    harness.run(farm + ["build", "-q", "--platform", BOTH, "-t",
                        "busybox:latest", base], env=env)
    prime = os.path.join(work, "prime")
    os.makedirs(prime, exist_ok=True)
    with open(os.path.join(prime, "Dockerfile"), "w") as f:
        f.write("FROM busybox:latest\nRUN true\n")
    harness.run(farm + ["build", "-q", "--platform", BOTH, "-t", "prime",
                        prime], env=env)
    return farm, env


def main():
    p = harness.parser(__doc__, runs=5, warmup=1)
    p.add_argument("--context", default=harness.example("multi-stage"))
    p.add_argument("--get-arm64-busybox",
                   default=os.path.join(harness.source_root(), "scripts",
                                        "get_arm64_busybox.sh"))
    args = harness.parse(p)
    args.get_arm64_busybox = os.path.abspath(args.get_arm64_busybox)
    if not harness.binfmt_enabled():
        print("binfmt_misc is off: arm64 cannot be emulated", file=sys.stderr)
        return 1
    farm_ms = {platforms: harness.Samples()
               for platforms in (BOTH, "linux/amd64", "linux/arm64")}
    docker_ms = {platform: harness.Samples()
                 for platform in ("linux/amd64", "linux/arm64")}
    docker_both = harness.Samples()
    title = "Two-platform build of examples/multi-stage (embedded farm)"
    with harness.Run(args, "farm-bench-multi-platform-", title) as run:
        run.needs_binfmt = True
        amd = run.base_image()
        arm = arm64_base(args, run.work)
        peer = docker_peer.start_for(run, amd)
        if peer is not None:
            peer.load(arm)
            peer.docker("tag", "busybox:latest", "busybox-amd64:latest")

        def farm_step(platforms):
            def step(i):
                farm, env = fresh_multi_farm(args, run.work, amd, arm)
                os.sync()
                ms, _ = harness.timed(farm + ["build", "-q", "--platform",
                                              platforms, "-t", TAG,
                                              args.context], env=env)
                if i >= 0:
                    farm_ms[platforms].add(ms)
            return step

        def docker_one(platform):
            arch = platform.split("/")[1]
            peer.docker("rmi", "--force", TAG, check=False)
            peer.docker("tag", f"busybox-{arch}:latest", "busybox:latest")
            peer.prune()
            os.sync()
            ms, _ = harness.timed(peer.build_cmd(
                args.context, TAG, "-q", "--platform", platform),
                env=peer.env)
            return ms

        def docker_step(i):
            amd_ms = docker_one("linux/amd64")
            arm_ms = docker_one("linux/arm64")
            if i >= 0:
                docker_ms["linux/amd64"].add(amd_ms)
                docker_ms["linux/arm64"].add(arm_ms)
                docker_both.add(amd_ms + arm_ms)

        steps = [farm_step(p) for p in farm_ms]
        if peer is not None:
            steps.append(docker_step)
        harness.interleave(args.runs, steps, warmup=args.warmup)
        report = run.report
        report.add("linux/amd64 and linux/arm64 in one build (median)",
                   farm_ms[BOTH].describe(), docker_both.describe())
        ratio = harness.ratio(docker_both.median(), farm_ms[BOTH].median())
        if ratio is not None:
            report.add("Docker's time ÷ farm's, both platforms",
                       f"{ratio:.2f}", "")
        for platform in ("linux/amd64", "linux/arm64"):
            report.add(f"{platform} alone (median)",
                       farm_ms[platform].describe(),
                       docker_ms[platform].describe())
        singles = (farm_ms["linux/amd64"].median() or 0) + (
            farm_ms["linux/arm64"].median() or 0)
        report.add("farm: the two single-platform medians added",
                   harness.format_ms(singles), "")
        report.note(f"{args.runs} timed runs per side after {args.warmup} "
                    "warm-up run(s), alternating; caches emptied before "
                    "every build.")
        report.note("Docker column for both platforms: its two "
                    "single-platform builds one after the other (its "
                    "docker.io 20.10 has no buildx, and its classic image "
                    "store takes no manifest list).")
        report.note("arm64 runs under qemu-aarch64-static (binfmt_misc, F "
                    "flag) on both sides.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
