"""Issue 13's placement tests on real QEMU: a farm-scheduler with two
farm-workers, one told to offer only linux/amd64 (native here) and one only
linux/arm64 (emulated through binfmt_misc), building for each platform.

Needs an arm64 emulator registered with the F flag (scripts/setup.sh
installs qemu-user-static and binfmt-support and mounts binfmt_misc) and
Debian's arm64 busybox (scripts/get_arm64_busybox.sh)."""

import os
import platform
import subprocess
import sys
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


if __name__ == "__main__":
    unittest.main()
