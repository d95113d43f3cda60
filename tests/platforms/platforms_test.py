"""Issue 13's placement tests on real QEMU: a farm-scheduler with two
farm-workers, one told to offer only linux/amd64 (native here) and one only
linux/arm64 (emulated through binfmt_misc), building for each platform.

Needs an arm64 emulator registered with the F flag (scripts/setup.sh
installs qemu-user-static and binfmt-support and mounts binfmt_misc) and
Debian's arm64 busybox (scripts/get_arm64_busybox.sh)."""

import json
import os
import platform
import re
import subprocess
import sys
import tarfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "distributed"))
from cluster import Cluster  # noqa: E402

FARM, SCHEDULER, WORKER, MAKE_IMAGE, GET_ARM64_BUSYBOX = (
    os.path.abspath(p) for p in sys.argv[1:6])
del sys.argv[1:6]

BINFMT = "/proc/sys/fs/binfmt_misc"
# e_machine 183 (AArch64), little-endian, 64-bit: what qemu-aarch64's
# binfmt entry matches.
AARCH64_MAGIC = "7f454c460201010000000000000000000200b700"


def arm64_emulated():
    """Why arm64 cannot be emulated here, or None when it can."""
    if platform.machine() != "x86_64":
        return f"these tests assume an x86_64 host, not {platform.machine()}"
    try:
        names = os.listdir(BINFMT)
    except OSError as e:
        return f"{BINFMT}: {e}"
    for name in names:
        try:
            with open(os.path.join(BINFMT, name)) as f:
                entry = f.read()
        except OSError:
            continue
        flags = [l for l in entry.splitlines() if l.startswith("flags:")]
        if (entry.startswith("enabled") and AARCH64_MAGIC in entry and
                flags and "F" in flags[0]):
            return None
    return ("no enabled aarch64 emulator with the F flag in " + BINFMT +
            " (run scripts/setup.sh)")


def step_workers(run, text_part):
    return {e.get("worker") for e in run.events
            if e["kind"] in ("STEP_DONE", "STEP_STARTED") and
            text_part in e.get("text", "")}


def logged(run):
    return "".join(e.get("text", "") for e in run.events
                   if e["kind"] == "STEP_LOG")


def step_platform_workers(run, text_part):
    """{platform: {workers}} of the steps whose text has `text_part`."""
    out = {}
    for e in run.events:
        if (e["kind"] in ("STEP_DONE", "STEP_STARTED") and
                text_part in e.get("text", "") and e.get("worker")):
            out.setdefault(e.get("platform", ""), set()).add(e["worker"])
    return out


def platform_logs(run):
    """{platform: the text its steps logged}."""
    out = {}
    for e in run.events:
        if e["kind"] == "STEP_LOG":
            key = e.get("platform", "")
            out[key] = out.get(key, "") + e.get("text", "")
    return out


def elf_machine(data):
    """The e_machine of an ELF file's header (183 is AArch64, 62 x86-64)."""
    assert data[:4] == b"\x7fELF", data[:4]
    order = "little" if data[5] == 1 else "big"
    return int.from_bytes(data[18:20], order)


def saved_file(tar_path, wanted):
    """The bytes of `wanted` in the image of a docker-archive, top layer
    first (the archive's layers are plain or gzip tars)."""
    with tarfile.open(tar_path) as archive:
        manifest = json.load(archive.extractfile("manifest.json"))
        for layer in reversed(manifest[0]["Layers"]):
            with tarfile.open(fileobj=archive.extractfile(layer)) as t:
                try:
                    return t.extractfile(wanted).read()
                except KeyError:
                    continue
    raise AssertionError(f"{wanted} is in no layer of {tar_path}")


class PlatformPlacementTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        missing = arm64_emulated()
        if missing:
            raise unittest.SkipTest(missing)
        cls.cluster = Cluster(FARM, SCHEDULER, WORKER, workers=0)
        cls.cluster.start_worker("amd", slots=2,
                                 args=["--platforms", "linux/amd64"])
        cls.cluster.start_worker("arm", slots=2,
                                 args=["--platforms", "linux/arm64"])
        cls.cluster.wait_workers(2)
        amd = os.path.join(cls.cluster.dir, "busybox.tar")
        subprocess.run([MAKE_IMAGE, amd], check=True)
        cls.cluster.run("load", "-i", amd)
        busybox = subprocess.run([GET_ARM64_BUSYBOX], check=True,
                                 capture_output=True, text=True).stdout.strip()
        arm = os.path.join(cls.cluster.dir, "busybox-arm64.tar")
        subprocess.run([MAKE_IMAGE, arm, "--busybox", busybox, "--arch",
                        "arm64", "--tag", "busybox-arm64:latest"], check=True)
        cls.cluster.run("load", "-i", arm)
        # A multi-platform base, made as users make one: an index over the
        # two single-platform images, built by farm itself.
        cls.cluster.run("tag", "busybox", "busybox-amd64")
        base = cls.cluster.context("multi-base", "FROM busybox-${TARGETARCH}\n")
        made = cls.cluster.build(base, "--platform", "linux/amd64,linux/arm64",
                                 "-t", "busybox:multi")
        if not (made.result and made.result["ok"]):
            raise AssertionError(made.output() + cls.cluster.dump_logs())

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()

    def assertBuilt(self, run):
        self.assertIsNotNone(run.result, run.output())
        self.assertTrue(run.result["ok"],
                        run.output() + "\n" + self.cluster.dump_logs())

    def test_workers_list_their_platforms_native_and_emulated_apart(self):
        listing = self.cluster.run("workers").stdout
        self.assertRegex(listing, r"\namd\s.*ready\s+linux/amd64\n", listing)
        self.assertRegex(listing, r"\narm\s.*ready\s+linux/arm64 \(emulated\)",
                         listing)

    def test_each_platform_runs_only_on_the_worker_for_it(self):
        ctx = self.cluster.context("uname", """
ARG BASE=busybox
FROM $BASE
RUN uname -m && uname -m > /machine
""")
        arm = self.cluster.build(ctx, "--platform", "linux/arm64",
                                 "--build-arg", "BASE=busybox-arm64",
                                 "-t", "uname:arm64")
        self.assertBuilt(arm)
        self.assertEqual(step_workers(arm, "uname"), {"arm"}, arm.output())
        self.assertIn("aarch64", logged(arm), arm.output())
        amd = self.cluster.build(ctx, "--platform", "linux/amd64",
                                 "-t", "uname:amd64")
        self.assertBuilt(amd)
        self.assertEqual(step_workers(amd, "uname"), {"amd"}, amd.output())
        self.assertIn("x86_64", logged(amd), amd.output())
        config = self.cluster.run("inspect", "uname:arm64").stdout
        self.assertIn('"Architecture": "arm64"', config)

    def test_a_platform_no_worker_runs_fails_naming_what_they_run(self):
        ctx = self.cluster.context("s390x", """
FROM scratch
COPY f /f
""", files={"f": "x"})
        run = self.cluster.build(ctx, "--platform", "linux/s390x")
        self.assertIsNotNone(run.result, run.output())
        self.assertFalse(run.result["ok"], run.output())
        self.assertIn("no worker can run linux/s390x: connected workers run "
                      "linux/amd64 (native), linux/arm64 (emulated)",
                      run.output())

    # Builds for several platforms in one command.

    def test_each_platform_runs_on_its_worker_and_builds_its_binaries(self):
        ctx = self.cluster.context("two", """
FROM busybox:multi
RUN uname -m && cp /bin/busybox /built
""")
        run = self.cluster.build(ctx, "--platform", "linux/amd64,linux/arm64",
                                 "-t", "two:1")
        self.assertBuilt(run)
        self.assertEqual(step_platform_workers(run, "uname"),
                         {"linux/amd64": {"amd"}, "linux/arm64": {"arm"}},
                         run.output())
        logs = platform_logs(run)
        self.assertIn("x86_64", logs.get("linux/amd64", ""), run.output())
        self.assertIn("aarch64", logs.get("linux/arm64", ""), run.output())
        self.assertEqual(len(run.result.get("platform_images", [])), 2,
                         run.result)
        listed = [line for line in self.cluster.run("images").stdout
                  .splitlines() if line.startswith("two ")]
        self.assertEqual(len(listed), 1, listed)
        for platform, machine in (("linux/arm64", 183), ("linux/amd64", 62)):
            out = os.path.join(self.cluster.dir, platform.replace("/", "-"))
            self.cluster.run("save", "--platform", platform, "-o", out,
                             "two:1")
            self.assertEqual(elf_machine(saved_file(out, "built")), machine,
                             platform)

    def test_a_build_platform_stage_runs_once_for_every_target(self):
        ctx = self.cluster.context("cross", """
FROM --platform=$BUILDPLATFORM busybox:multi AS build
RUN cat /proc/sys/kernel/random/uuid > /stamp && uname -m > /build-machine
FROM busybox:multi
COPY --from=build /stamp /build-machine /
RUN echo "stamp $(cat /stamp) built on $(cat /build-machine) for $(uname -m)"
""")
        run = self.cluster.build(ctx, "--platform", "linux/amd64,linux/arm64",
                                 "-t", "cross:1")
        self.assertBuilt(run)
        # One build-stage job and one final-stage job per platform.
        self.assertEqual(run.result["jobs_dispatched"], 3, run.output())
        self.assertEqual(step_platform_workers(run, "random/uuid"),
                         {"linux/amd64": {"amd"}}, run.output())
        logs = platform_logs(run)
        amd = re.search(r"stamp (\S+) built on (\S+) for (\S+)",
                        logs.get("linux/amd64", ""))
        arm = re.search(r"stamp (\S+) built on (\S+) for (\S+)",
                        logs.get("linux/arm64", ""))
        self.assertIsNotNone(amd, run.output())
        self.assertIsNotNone(arm, run.output())
        self.assertEqual(amd.group(1), arm.group(1))  # the same build stage
        self.assertEqual((amd.group(2), amd.group(3)), ("x86_64", "x86_64"))
        self.assertEqual((arm.group(2), arm.group(3)), ("x86_64", "aarch64"))

    def test_a_platform_the_base_lacks_fails_naming_what_it_has(self):
        ctx = self.cluster.context("lacks", "FROM busybox:multi\nRUN true\n")
        run = self.cluster.build(ctx, "--platform", "linux/amd64,linux/s390x")
        self.assertIsNotNone(run.result, run.output())
        self.assertFalse(run.result["ok"], run.output())
        self.assertIn("has no linux/s390x image; it has linux/amd64, "
                      "linux/arm64", run.output())


if __name__ == "__main__":
    unittest.main()
