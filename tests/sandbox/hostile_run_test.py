"""Issue 10's end-to-end tests: RUN steps that try to take their worker
down (a fork bomb, a memory hog, an endless loop, a disk filler) against a
real farm-scheduler and farm-worker with small limits. Each fails inside
its step with the limit it reached, is not retried, and the worker and an
innocent build running next to it on the same worker both finish. A worker
killed with SIGKILL in the middle of a RUN leaves no process, mount or
cgroup once it starts again on the same root."""

import glob
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "distributed"))
from cluster import Cluster  # noqa: E402

FARM, SCHEDULER, WORKER, MAKE_IMAGE = (os.path.abspath(p)
                                        for p in sys.argv[1:5])
del sys.argv[1:5]

# The worker's own limits: small, so that the tests run fast. Builds lower
# some of them.
WORKER_LIMITS = ["--run-memory", "256MiB", "--run-pids", "64",
                 "--run-timeout", "60s", "--run-disk", "256MiB"]


def processes(argv):
    """Pids whose command line is exactly `argv`."""
    want = b"\0".join(a.encode() for a in argv) + b"\0"
    found = []
    for path in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            with open(path, "rb") as f:
                if f.read() == want:
                    found.append(int(path.split("/")[2]))
        except OSError:
            pass
    return found


def processes_mentioning(text, exclude=()):
    """Pids whose command line mentions `text`, less `exclude`."""
    found = []
    for path in glob.glob("/proc/[0-9]*/cmdline"):
        pid = int(path.split("/")[2])
        try:
            with open(path, "rb") as f:
                if text.encode() in f.read() and pid not in exclude:
                    found.append(pid)
        except OSError:
            pass
    return found


def children(pid):
    """The pids whose parent is `pid` (a worker's reaper)."""
    found = []
    for path in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(path) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(path.split("/")[2]))
    return found


def mounts_under(root):
    real = os.path.realpath(root) + "/"
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f
                if line.split()[4].startswith(real)]


def cgroup_dirs(path):
    """`path` (absolute cgroup path) in every hierarchy where it exists."""
    return [d for d in glob.glob("/sys/fs/cgroup/*" + path) +
            glob.glob("/sys/fs/cgroup" + path) if os.path.isdir(d)]


def wait_until(predicate, timeout=20, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class HostileRunTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster(FARM, SCHEDULER, WORKER, workers=0)
        cls.cluster.start_worker("sandbox", slots=2, args=WORKER_LIMITS)
        # No filesystem has 99.9% free: this worker is always "disk full".
        cls.cluster.start_worker("full", args=["--min-free-disk", "99.9%"])
        cls.cluster.wait_workers(2)
        image = os.path.join(cls.cluster.dir, "busybox.tar")
        subprocess.run([MAKE_IMAGE, image], check=True)
        cls.cluster.run("load", "-i", image)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()

    def hostile(self, name, run, message, *flags):
        """Builds `RUN run` with `flags` next to an innocent build on the
        same worker; the hostile one must fail with `message`."""
        cluster = self.cluster
        retried = int(cluster.stats().get("jobs_retried", 0))
        innocent_ctx = cluster.context(f"innocent-{name}", f"""
FROM busybox
RUN echo innocent-{name} && i=0 && while [ $i -lt 15 ]; do i=$((i+1)); \\
    echo $i > /count; sleep 0.1; done && echo done > /done
""")
        hostile_ctx = cluster.context(f"hostile-{name}",
                                      f"FROM busybox\nRUN {run}\n")
        innocent = cluster.start_build(innocent_ctx, "-t", f"innocent:{name}")
        hostile = cluster.start_build(hostile_ctx, *flags)
        start = time.time()
        hostile.wait(timeout=60)
        innocent.wait(timeout=60)
        logs = cluster.dump_logs()
        self.assertIsNotNone(hostile.result, hostile.output())
        self.assertFalse(hostile.result["ok"], hostile.output())
        # The message, then the step's last lines of output.
        self.assertEqual(
            hostile.result.get("error", "").split("\n")[0],
            f"Dockerfile:2: RUN {run} was killed: {message}",
            hostile.output() + "\n" + logs)
        self.assertEqual(hostile.result.get("error_code"), 8)  # RESOURCE_EXHAUSTED
        self.assertLess(time.time() - start, 30)
        # Run once, on the one worker: the step's fault is not retried.
        runs = [e for e in hostile.events
                if e["kind"] == "STEP_STARTED" and run in e.get("text", "")]
        self.assertEqual(len(runs), 1, hostile.output())
        self.assertEqual(int(cluster.stats().get("jobs_retried", 0)), retried)
        # Both ran on the worker with room, never on the full one.
        for run_ in (hostile, innocent):
            self.assertEqual({e["worker"] for e in run_.events
                              if e.get("worker")}, {"sandbox"})
        # The innocent build and the worker carry on.
        self.assertIsNotNone(innocent.result, innocent.output())
        self.assertTrue(innocent.result["ok"], innocent.output() + "\n" + logs)
        self.assertIsNone(cluster.workers["sandbox"].poll(), logs)
        workers = cluster.run("workers").stdout
        self.assertRegex(workers, r"sandbox\s+2\s+0\s+.*ready", workers)

    def test_fork_bomb_hits_the_pids_limit(self):
        self.hostile("bomb", "bomb() { bomb | bomb & }; bomb; sleep 30",
                     "pids limit 64 reached")

    def test_memory_hog_hits_the_memory_limit(self):
        self.hostile(
            "hog", 'x=aaaaaaaaaaaaaaaa; while true; do x="$x$x"; done',
            "memory limit 64 MiB reached", "--run-memory", "64MiB")

    def test_a_build_cannot_raise_the_workers_limit(self):
        self.hostile(
            "greedy", 'x=bbbbbbbbbbbbbbbb; while true; do x="$x$x"; done',
            "memory limit 256 MiB reached", "--run-memory", "4GiB")

    def test_endless_loop_hits_the_time_limit(self):
        self.hostile("loop", "while true; do :; done", "time limit 2s reached",
                     "--run-timeout", "2s")

    def test_disk_filler_hits_the_disk_budget(self):
        self.hostile(
            "filler",
            "i=0; while true; do i=$((i+1)); head -c 1048576 /dev/zero > /f$i;"
            " done",
            "disk budget 16 MiB reached", "--run-disk", "16MiB")

    def test_a_worker_with_a_full_disk_says_so_and_takes_no_jobs(self):
        workers = self.cluster.run("workers").stdout
        self.assertRegex(workers, r"\nfull\s+1\s+0\s+.*disk full \(.* free\)",
                         workers)
        self.assertIsNone(self.cluster.workers["full"].poll())

    def test_help_names_every_limit_and_its_default(self):
        out = subprocess.run([WORKER, "--help"], capture_output=True,
                             text=True, check=True).stdout
        # The text of each option runs until the next one.
        options = {chunk.split()[0]: chunk
                   for chunk in re.split(r"\n  (?=--)", out)[1:]}
        for flag, default in [("--run-memory", "4GiB"), ("--run-pids", "4096"),
                              ("--run-cpus", "all"), ("--run-timeout", "2h"),
                              ("--run-disk", "20GiB"),
                              ("--min-free-disk", "5%")]:
            self.assertIn(flag, options, out)
            self.assertRegex(options[flag], r"default[^)]*" + re.escape(default),
                             out)


class KilledWorkerTest(unittest.TestCase):
    """kill -9 of a worker in the middle of `RUN sleep`: its reaper kills the
    step at once; then a restart on the same root removes what is left."""

    def test_restart_removes_the_containers_mounts_and_cgroups_of_the_dead(self):
        cluster = Cluster(FARM, SCHEDULER, WORKER, workers=0)
        try:
            self.check(cluster)
        finally:
            cluster.close()

    def check(self, cluster):
        root = os.path.join(cluster.dir, "worker-victim")
        cluster.start_worker("victim", root=root)
        cluster.wait_workers(1)
        image = os.path.join(cluster.dir, "busybox.tar")
        subprocess.run([MAKE_IMAGE, image], check=True)
        cluster.run("load", "-i", image)
        sleep = ["sleep", "6007"]
        ctx = cluster.context("sleeper", "FROM busybox\nRUN sleep 6007\n")
        build = cluster.start_build(ctx)
        pids = wait_until(lambda: processes(sleep), what="the RUN's sleep")
        with open(f"/proc/{pids[0]}/cgroup") as f:
            cgroup = next(line.split(":", 2)[2].strip() for line in f
                          if ":pids:" in line or line.startswith("0::"))
        self.assertRegex(cgroup, r"^/farm-worker-[0-9a-f]{12}/farm-[0-9a-f]+/run$")
        step_cgroup = os.path.dirname(cgroup)
        self.assertTrue(cgroup_dirs(step_cgroup))
        self.assertTrue(mounts_under(root))  # the RUN's overlay

        cluster.kill_worker("victim").wait()
        # The client goes too, so the scheduler does not hand the job to the
        # worker again when it comes back.
        build.proc.kill()
        build.wait()
        # A container outlives the `runc run` that started it, but not the
        # worker: its reaper kills what is left in the worker's cgroups.
        wait_until(lambda: not processes(sleep),
                   what="the reaper to kill the dead worker's sleep")
        # Then it unmounts the step's overlay and the worker's network
        # namespaces, the spare one included.
        wait_until(lambda: not mounts_under(root),
                   what=f"the reaper to unmount {mounts_under(root)}")

        # What else of the dead run lives on: runc's state.
        survivors = processes_mentioning(root)
        restarted = cluster.start_worker("victim", root=root)
        wait_until(lambda: not cgroup_dirs(step_cgroup),
                   what="the step's cgroup to go")
        wait_until(lambda: not mounts_under(root),
                   what=f"the mounts to go: {mounts_under(root)}")
        wait_until(lambda: not [p for p in survivors
                                if os.path.exists(f"/proc/{p}")],
                   what=f"the processes of the dead run to go: {survivors}")
        self.assertEqual(
            processes_mentioning(
                root, exclude=[restarted.pid, *children(restarted.pid)]),
            [])
        listed = subprocess.run(
            ["runc", "--root", os.path.join(root, "executor/runc"), "list",
             "-q"], capture_output=True, text=True, check=True).stdout
        self.assertEqual(listed, "")
        # And the restarted worker builds.
        done = cluster.build(cluster.context("after", "FROM busybox\nRUN true\n"))
        self.assertTrue(done.result and done.result["ok"], done.output())
        # A drained worker leaves no cgroup either.
        parent = os.path.dirname(step_cgroup)
        cluster.kill_worker("victim", signal.SIGTERM).wait(timeout=20)
        self.assertEqual(cgroup_dirs(parent), [])
        self.assertEqual(mounts_under(root), [])  # nor a spare network


def as_nobody(*argv):
    """True when `argv` succeeds as nobody. A shell running as nobody looks
    the program up: setpriv would still hold root's capabilities at
    execve."""
    return subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
         "/bin/sh", "-c", 'exec "$@"', "sh", *argv],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


class OtherUsersTest(unittest.TestCase):
    """What a build's RUN makes (a readable secret, a setuid program, a
    device node) is out of other local users' reach in the snapshot tree,
    even under a worker root an admin opened to 0755."""

    def test_nobody_cannot_reach_the_files_a_run_made(self):
        root = tempfile.mkdtemp(prefix="farm-users-", dir="/tmp")
        os.chmod(root, 0o755)
        worker_root = os.path.join(root, "worker")
        cluster = Cluster(FARM, SCHEDULER, WORKER, workers=0)
        try:
            cluster.start_worker("users", root=worker_root)
            cluster.wait_workers(1)
            self.assertEqual(os.stat(worker_root).st_mode & 0o7777, 0o700)
            os.chmod(worker_root, 0o755)
            os.chmod(os.path.join(worker_root, "snapshots"), 0o755)
            image = os.path.join(cluster.dir, "busybox.tar")
            subprocess.run([MAKE_IMAGE, image], check=True)
            cluster.run("load", "-i", image)
            ctx = cluster.context("made", """
FROM busybox
RUN echo s3cret > /secret && chmod 644 /secret && cp /bin/busybox /suid \\
    && chmod 4755 /suid && mknod /zero c 1 5 && chmod 666 /zero
""")
            run = cluster.build(ctx)
            self.assertTrue(run.result and run.result["ok"], run.output())
            layers = glob.glob(os.path.join(worker_root,
                                            "snapshots/layers/*/fs/suid"))
            self.assertEqual(len(layers), 1, cluster.dump_logs())
            fs = os.path.dirname(layers[0])
            self.assertEqual(os.stat(fs + "/suid").st_mode & 0o7777, 0o4755)
            self.assertTrue(stat.S_ISCHR(os.stat(fs + "/zero").st_mode))
            self.assertFalse(as_nobody("cat", fs + "/secret"))
            self.assertFalse(as_nobody(fs + "/suid", "true"))
            self.assertFalse(as_nobody("head", "-c", "1", fs + "/zero"))
            # The check can fail: with layers/ open, nobody reads the file.
            layers_dir = os.path.join(worker_root, "snapshots/layers")
            os.chmod(layers_dir, 0o755)
            self.assertTrue(as_nobody("cat", fs + "/secret"))
            os.chmod(layers_dir, 0o700)
        finally:
            cluster.close()
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
