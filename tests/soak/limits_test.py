"""What one client can hold (issue 14): a farm-scheduler started with
limits refuses a context over its size, a tenant's build past its count of
running builds, and clips a build's log past its total, each with an error
or a line that names the limit; and a stage job whose context entries are
too many for one message gets them through the CAS."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "distributed"))
from cluster import Cluster  # noqa: E402

FARM, SCHEDULER, WORKER, MAKE_IMAGE = (os.path.abspath(p)
                                       for p in sys.argv[1:5])
del sys.argv[1:5]


class Limits(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster(FARM, SCHEDULER, WORKER, workers=1,
                              scheduler_args=[
                                  "--max-builds-per-tenant", "1",
                                  "--max-context-bytes", "100000",
                                  "--max-build-log-bytes", "3000000",
                                  "--inline-context-bytes", "2000"])
        image = os.path.join(cls.cluster.dir, "busybox.tar")
        subprocess.run([MAKE_IMAGE, image], check=True)
        cls.cluster.run("load", "-i", image)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()

    def test_a_context_over_the_limit_is_refused(self):
        ctx = self.cluster.context("big", "FROM busybox\nCOPY f /f\n",
                                   files={"f": "x" * 200000})
        run = self.cluster.build(ctx)
        self.assertFalse(run.result["ok"], run.output())
        self.assertIn("the build context holds 200", run.result["error"])
        self.assertIn("--max-context-bytes", run.result["error"])

    def test_a_tenant_runs_at_most_its_builds_at_once(self):
        slow = self.cluster.context("slow", "FROM busybox\nRUN sleep 3\n")
        first = self.cluster.start_build(slow, "--no-cache")
        first.wait_for_event(lambda e: e["kind"] == "STEP_STARTED" and
                             "sleep" in e.get("text", ""))
        second = self.cluster.build(
            self.cluster.context("quick", "FROM busybox\nRUN true\n"))
        self.assertFalse(second.result and second.result["ok"],
                         second.output())
        self.assertIn("already runs 1 builds", second.output())
        first.wait()
        self.assertTrue(first.result["ok"], first.output())
        third = self.cluster.build(
            self.cluster.context("quick", "FROM busybox\nRUN true\n"))
        self.assertTrue(third.result["ok"], third.output())

    def test_a_builds_log_is_clipped_past_its_total(self):
        # Two steps of 1.8 MB each: each under the 2 MiB step limit, both
        # over the 3 MB the build may log.
        ctx = self.cluster.context("chatty", """FROM busybox
RUN yes 0123456789abcdef0123456789abcde | head -c 1800000
RUN yes fedcba9876543210fedcba9876543210 | head -c 1800000
""")
        run = self.cluster.build(ctx)
        self.assertTrue(run.result["ok"], run.output()[-2000:])
        logged = sum(len(e.get("text", "")) for e in run.events
                     if e["kind"] == "STEP_LOG")
        self.assertLess(logged, 3000000 + 4096)
        self.assertIn("the log limit of 3000000 bytes per build was reached",
                      run.output())


    def test_a_large_context_goes_to_the_worker_through_the_cas(self):
        # 300 files whose entries pass the 2,000 bytes a job carries inline.
        files = {f"src/d{i % 7}/file-{i:04}.txt": f"content {i}\n"
                 for i in range(300)}
        ctx = self.cluster.context("many", """FROM busybox
COPY src /src
RUN cat /src/d3/file-0297.txt && find /src -type f | wc -l
""", files=files)
        run = self.cluster.build(ctx)
        self.assertTrue(run.result["ok"], run.output()[-3000:])
        logged = "".join(e.get("text", "") for e in run.events
                         if e["kind"] == "STEP_LOG")
        self.assertIn("content 297", logged)
        self.assertIn("300", logged)
        with open(os.path.join(self.cluster.dir, "scheduler.log"),
                  errors="replace") as f:
            self.assertIn("goes through the CAS", f.read())


if __name__ == "__main__":
    unittest.main(verbosity=2)
