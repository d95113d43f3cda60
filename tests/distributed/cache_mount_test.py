"""RUN --mount=type=cache across workers (BuildKit issue 1474): a real
farm-scheduler and two real farm-workers on loopback, over TLS with the
tenants' tokens. A build fills a cache mount on the worker the cache hashes
to; that worker drains (publishing the mount as it goes); the next build
runs on the other worker and finds the cache warm. Another tenant's build of
the same Dockerfile finds it cold, and sharing=locked still serialises two
RUNs on one worker."""

import glob
import os
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster  # noqa: E402

FARM, SCHEDULER, WORKER, MAKE_IMAGE, MAKE_PKI = (
    os.path.abspath(p) for p in sys.argv[1:6])
del sys.argv[1:6]

# Prints what the cache held, then leaves this build's stamp in it. RUNID
# changes the RUN's key, so the step really runs every time.
NPM = """
FROM busybox
ARG RUNID
RUN --mount=type=cache,id=npm,target=/cache sh -c 'echo "seen:$(cat /cache/stamp 2>/dev/null || echo none)"; echo "stamp-$RUNID" > /cache/stamp'
"""

# Fails if another RUN is inside the same cache at the same time.
LOCKED = """
FROM busybox
ARG RUNID
RUN --mount=type=cache,id=serial,target=/l,sharing=locked sh -c 'test ! -e /l/busy || exit 7; touch /l/busy; sleep 3; rm /l/busy; echo "locked-$RUNID"'
"""


def run_steps(run, kind):
    return [e for e in run.events
            if e["kind"] == kind and "RUN" in e.get("text", "")]


class CacheMountTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        pki = tempfile.mkdtemp(prefix="farm-pki-",
                               dir=os.environ.get("TEST_TMPDIR"))
        subprocess.run([MAKE_PKI, pki], check=True)
        cls.cluster = Cluster(FARM, SCHEDULER, WORKER, workers=0, pki=pki)
        for worker_id in ("w1", "w2"):
            cls.cluster.start_worker(worker_id, slots=2)
        cls.cluster.wait_workers(2)
        image = os.path.join(cls.cluster.dir, "busybox.tar")
        subprocess.run([MAKE_IMAGE, image], check=True)
        for tenant in ("a", "b"):  # each tenant has its own images
            cls.cluster.run("load", "-i", image, who=tenant)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()

    def build(self, name, dockerfile, runid, who="a"):
        ctx = self.cluster.context(name, dockerfile)
        run = self.cluster.build(ctx, "--build-arg", f"RUNID={runid}",
                                 who=who)
        self.assertIsNotNone(run.result, run.output())
        self.assertTrue(run.result["ok"],
                        run.output() + "\n" + self.cluster.dump_logs())
        return run

    def ran_on(self, run):
        workers = {e["worker"] for e in run_steps(run, "STEP_STARTED")}
        self.assertEqual(len(workers), 1, run.output())
        return workers.pop()

    def worker_log(self, worker_id):
        with open(os.path.join(self.cluster.dir,
                               f"worker-{worker_id}.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def test_1_a_cache_follows_its_tenant_to_another_worker(self):
        first = self.build("npm", NPM, "1")
        self.assertIn("seen:none", first.output())
        owner = self.ran_on(first)
        # The cache's worker takes its jobs while it is up.
        again = self.build("npm", NPM, "1b")
        self.assertEqual(self.ran_on(again), owner, again.output())
        self.assertIn("seen:stamp-1", again.output())

        # The owner drains: it publishes what its last job left, then exits.
        proc = self.cluster.kill_worker(owner, signal.SIGTERM)
        self.assertEqual(proc.wait(timeout=30), 0)
        self.assertIn("cache mount npm: published generation",
                      self.worker_log(owner))
        pointers = glob.glob(os.path.join(
            self.cluster.dir, "scheduler", "cache-mount-pointers",
            "*.pointer"))
        self.assertEqual(len(pointers), 1, pointers)
        with open(pointers[0]) as f:
            self.assertIn("team-a", f.read())

        other = ({"w1", "w2"} - {owner}).pop()
        warm = self.build("npm", NPM, "2")
        self.assertEqual(self.ran_on(warm), other)
        self.assertIn("seen:stamp-1b", warm.output())
        self.assertIn("cache mount npm: restored generation",
                      self.worker_log(other))

        # team-b's npm cache is its own: cold on the very worker that holds
        # team-a's, and team-a's stays as it was.
        theirs = self.build("npm", NPM, "3", who="b")
        self.assertEqual(self.ran_on(theirs), other)
        self.assertIn("seen:none", theirs.output())
        mine = self.build("npm", NPM, "4")
        self.assertIn("seen:stamp-2", mine.output())

    def test_2_sharing_locked_still_serialises_runs_on_one_worker(self):
        # One worker with two slots is left after test 1 drained the other.
        self.assertEqual(len(self.cluster.workers_listed()), 1)
        ctx = self.cluster.context("locked", LOCKED)
        first = self.cluster.start_build(ctx, "--build-arg", "RUNID=l1",
                                         who="a")
        first.wait_for_event(lambda e: e["kind"] == "STEP_STARTED" and
                             "RUN" in e.get("text", ""))
        second = self.cluster.start_build(ctx, "--build-arg", "RUNID=l2",
                                          who="a")
        for run in (first, second):
            run.wait(timeout=120)
            self.assertIsNotNone(run.result, run.output())
            # Exit 7 would mean the other RUN was inside the cache too.
            self.assertTrue(run.result["ok"], run.output())
        self.assertEqual(self.ran_on(first), self.ran_on(second))
        # Both slots were free, yet the second RUN waited for the first's
        # 3 s: its step took at least a second longer.
        seconds = [e["duration_nanos"] / 1e9 for run in (first, second)
                   for e in run_steps(run, "STEP_DONE")]
        self.assertEqual(len(seconds), 2, seconds)
        self.assertGreaterEqual(seconds[1], 4, seconds)

if __name__ == "__main__":
    unittest.main(verbosity=2)
