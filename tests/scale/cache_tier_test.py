"""Issue 17's cache tier on one machine: three farm-cache nodes in front of
a real S3 API (OpenStack Swift's s3api), a farm-scheduler that spreads the
digests over them by rendezvous hashing (--cache A,B,C), and two workers.
Nodes are killed during builds and come back empty; builds succeed and no
stored image loses a byte."""

import hashlib
import os
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "distributed"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "s3"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster  # noqa: E402
from swift_s3 import SwiftS3  # noqa: E402
from cache_nodes import CacheNodes  # noqa: E402

FARM, SCHEDULER, WORKER, MAKE_IMAGE, MAKE_PKI = (
    os.path.abspath(p) for p in sys.argv[1:6])
FARM_CACHE = os.path.abspath(os.environ["FARM_CACHE"])
del sys.argv[1:6]

# Several layers of a few hundred KiB, and many small ones. Which node owns
# a digest depends on the nodes' random ports, so every node must be
# certain to own some of an image's blobs: with over 26, that one of the
# three owns none happens about once in 13,000 runs (with 10, once in 20).
PARTS = 16
LAYERS = """
FROM busybox
RUN for i in $(seq 1 300); do echo "{name} line $i of the first layer"; done > /one
RUN dd if=/dev/urandom of=/two bs=1k count=256 2>/dev/null
COPY file.txt /three
RUN for i in $(seq 1 200); do echo "{name} $i"; done > /four
""" + "".join(f"COPY part{i}.txt /part{i}\n" for i in range(PARTS))


class CacheTierTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="farm-tier-",
                                   dir=os.environ.get("TEST_TMPDIR"))
        cls.swift = SwiftS3(os.path.join(cls.dir, "swift"))
        cls.swift.start()
        cls.swift.make_bucket("farm")
        cls.nodes = CacheNodes(FARM_CACHE, cls.dir, 3, cls.swift, "farm")
        cls.cluster = Cluster(
            FARM, SCHEDULER, WORKER, workers=2,
            scheduler_args=["--cache", ",".join(cls.nodes.addresses)])
        image = os.path.join(cls.cluster.dir, "busybox.tar")
        import subprocess
        subprocess.run([MAKE_IMAGE, image], check=True)
        cls.cluster.run("load", "-i", image)
        cls.saved = {}

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()
        cls.nodes.close()
        cls.swift.stop()

    def assertBuilt(self, run):
        self.assertIsNotNone(run.result, run.output())
        self.assertTrue(run.result["ok"], run.output() + "\n" + self.logs())

    def logs(self):
        out = [self.cluster.dump_logs()]
        for i in range(3):
            with open(self.nodes.log(i), "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            out.append(f"--- cache-{i}.log")
            out.extend(lines[-20:])
        return "\n".join(out)

    def context(self, name):
        files = {f"part{i}.txt": f"{name} part {i}\n" for i in range(PARTS)}
        files["file.txt"] = f"{name}\n" * 5000
        return self.cluster.context(name, LAYERS.format(name=name), files)

    def save(self, tag):
        """The sha256 of `farm save TAG`: every blob of the image, read."""
        path = os.path.join(self.dir, f"{tag.replace(':', '-')}.tar")
        self.cluster.run("save", "-o", path, tag)
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()

    def bucket_reads(self, nodes):
        return sum(self.nodes.metric(i, "farm_cache_object_store_reads_total")
                   for i in nodes)

    def test_1_builds_spread_over_the_nodes(self):
        self.assertBuilt(self.cluster.build(self.context("a"), "-t", "a:1"))
        self.saved["a:1"] = self.save("a:1")
        held = [self.nodes.metric(i, "farm_cache_blobs") for i in range(3)]
        self.assertTrue(all(held), f"a node holds nothing: {held}")

    def test_2_a_killed_node_costs_no_build(self):
        self.nodes.kill(1)
        # Node 1's share (it held some of a:1's blobs, test 1) now comes from
        # the bucket through the others: counted from the kill on, since
        # which blobs are its share changes with every run's digests.
        reads = self.bucket_reads([0, 2])
        self.assertBuilt(self.cluster.build(self.context("b"), "-t", "b:1"))
        self.saved["b:1"] = self.save("b:1")
        before = self.cluster.stats()["jobs_dispatched"]
        self.assertBuilt(self.cluster.build(self.context("a"), "-t", "a:1"))
        self.assertEqual(self.cluster.stats()["jobs_dispatched"], before)
        self.assertEqual(self.save("a:1"), self.saved["a:1"])
        self.assertGreater(self.bucket_reads([0, 2]), reads)

    def test_3_a_node_back_empty_loses_nothing(self):
        self.nodes.restart_empty(1)
        self.assertEqual(self.nodes.metric(1, "farm_cache_blobs"), 0)
        # The node is skipped for a few seconds after its failure; then its
        # share is its own again, read from the bucket.
        time.sleep(6)
        for tag in ("a:1", "b:1"):
            self.assertEqual(self.save(tag), self.saved[tag], tag)
        self.assertGreater(self.bucket_reads([1]), 0)
        self.assertGreater(self.nodes.metric(1, "farm_cache_blobs"), 0)
        before = self.cluster.stats()["jobs_dispatched"]
        self.assertBuilt(self.cluster.build(self.context("b"), "-t", "b:1"))
        self.assertEqual(self.cluster.stats()["jobs_dispatched"], before)

    def test_4_a_node_killed_mid_build(self):
        ctx = self.cluster.context("slow", """
FROM busybox
RUN dd if=/dev/urandom of=/before bs=1k count=200 2>/dev/null
RUN sleep 2 && dd if=/dev/urandom of=/during bs=1k count=300 2>/dev/null
RUN echo after > /after
""")
        run = self.cluster.start_build(ctx, "-t", "slow:1")
        run.wait_for_event(lambda e: "sleep 2" in e.get("text", ""),
                           timeout=60)
        self.nodes.kill(2)
        run.wait(timeout=180)
        self.assertBuilt(run)
        digest = self.save("slow:1")
        self.nodes.restart_empty(2)
        time.sleep(0.5)
        self.assertEqual(self.save("slow:1"), digest)


if __name__ == "__main__":
    unittest.main()
