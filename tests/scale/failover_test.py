"""Issue 17's scheduler failover on one machine: two farm-schedulers over a
real 3-member etcd and one farm-cache, two workers and `farm --remote`
that dial both. The leader is killed (kill -9) during a build with a long
RUN: the standby takes over, resumes the build, adopts the RUN that the
worker kept running, and the client sees it through; tags stored before
the failover are seen after it."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "distributed"))
sys.path.insert(0, HERE)
from cache_nodes import CacheNodes  # noqa: E402
from etcd_cluster import EtcdCluster  # noqa: E402
from scheduler_group import GroupCluster, SchedulerGroup  # noqa: E402

FARM, SCHEDULER, WORKER, MAKE_IMAGE, MAKE_PKI = (
    os.path.abspath(p) for p in sys.argv[1:6])
FARM_CACHE = os.path.abspath(os.environ["FARM_CACHE"])
del sys.argv[1:6]

LONG_RUN = """
FROM busybox
RUN echo {name} > /first
RUN echo started; sleep 6; echo {name} slept > /slept
RUN cat /first /slept > /both
"""


class FailoverTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="farm-failover-",
                                   dir=os.environ.get("TEST_TMPDIR"))
        cls.etcd = EtcdCluster(cls.dir)
        cls.nodes = CacheNodes(FARM_CACHE, cls.dir, 1, None, None)
        cls.group = SchedulerGroup(SCHEDULER, cls.dir, 2, cls.etcd.urls,
                                   cls.nodes.addresses[0])
        cls.cluster = GroupCluster(cls.group, FARM, SCHEDULER, WORKER,
                                   workers=2)
        image = os.path.join(cls.cluster.dir, "busybox.tar")
        subprocess.run([MAKE_IMAGE, image], check=True)
        cls.cluster.run("load", "-i", image)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()
        cls.group.close()
        cls.nodes.close()
        cls.etcd.close()

    def assertBuilt(self, run):
        self.assertIsNotNone(run.result, run.output() + "\n" + self.logs())
        self.assertTrue(run.result["ok"], run.output() + "\n" + self.logs())

    def logs(self):
        return self.cluster.dump_logs() + "\n" + self.etcd.logs()

    def kill_leader(self, sig=signal.SIGKILL):
        """Kills the leader and starts it again as a standby; returns the
        index of the one that leads next."""
        old = self.group.leader()
        killed_at = time.time()
        self.group.kill(old, sig)
        new = self.group.leader(other_than=old)
        took = time.time() - killed_at
        self.group.start(old)
        return old, new, took

    def test_a_standby_does_not_listen(self):
        leader = self.group.leader()
        standby = 1 - leader
        time.sleep(0.5)
        self.assertFalse(self.group.listening(standby), self.group.logs())
        self.assertIsNone(self.group.procs[standby].poll())

    def test_etcd_without_cache_is_refused(self):
        proc = subprocess.run(
            [SCHEDULER, "--listen", "127.0.0.1:0", "--root",
             os.path.join(self.dir, "lonely"), "--etcd", self.etcd.urls],
            capture_output=True, text=True, timeout=30)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("--etcd needs --cache", proc.stderr)

    def test_kill_9_of_the_leader_during_a_long_run(self):
        context = self.cluster.context(
            "long", LONG_RUN.format(name="long"))
        run = self.cluster.start_build(context, "-t", "failover:long")
        run.wait_for_event(lambda e: "started" in e.get("text", ""),
                           timeout=60)
        old, new, took = self.kill_leader()
        self.assertEqual(run.wait(timeout=120), 0, run.output() + self.logs())
        self.assertBuilt(run)
        self.assertIn("build resumed by the new leader", run.output())
        # Its worker kept the RUN going, and the new leader finished the
        # stage there instead of running it again.
        stats = self.cluster.stats()
        self.assertGreaterEqual(int(stats.get("jobs_adopted", 0)), 1,
                                f"{stats}\n{self.logs()}")
        # The new leader stored the image under its tag, and knows it.
        images = self.cluster.run("images").stdout
        self.assertIn("failover", images)
        self.assertIn("long", images)
        # Nothing is left in the journal once the build ended.
        self.assertEqual(self.etcd.keys("/farm/builds/"), [], self.logs())
        # A rebuild is answered by the cache.
        again = self.cluster.build(context, "-t", "failover:again")
        self.assertBuilt(again)
        self.assertEqual(again.result["jobs_dispatched"], 0, again.output())
        print(f"failover after kill -9: new leader listening in {took:.2f} s")

    def test_tags_stored_before_a_failover_are_seen_after_it(self):
        context = self.cluster.context(
            "tagged", "FROM busybox\nRUN echo tagged > /t\n")
        built = self.cluster.build(context, "-t", "failover:tagged")
        self.assertBuilt(built)
        before = self.cluster.run("images", "--quiet").stdout.split()
        self.cluster.run("tag", "failover:tagged", "failover:retagged")
        self.kill_leader(signal.SIGTERM)
        images = self.cluster.run("images").stdout
        self.assertIn("tagged", images)
        self.assertIn("retagged", images)
        after = self.cluster.run("images", "--quiet").stdout.split()
        self.assertTrue(set(before) <= set(after), (before, after))


if __name__ == "__main__":
    unittest.main()
