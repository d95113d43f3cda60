"""Issue 5's integration tests: one farm-scheduler and three farm-workers,
real processes on loopback, driven through `farm --remote`: once in
plaintext on loopback (DistributedTest), and once as a shared farm runs,
over TLS with tokens and client certificates (SecureDistributedTest)."""

import json
import os
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster  # noqa: E402

FARM, SCHEDULER, WORKER, MAKE_IMAGE, MAKE_PKI = (
    os.path.abspath(p) for p in sys.argv[1:6])
del sys.argv[1:6]


def steps(run, text_part, kind):
    return [e for e in run.events
            if e["kind"] == kind and text_part in e.get("text", "")]


class DistributedTest(unittest.TestCase):
    secure = False

    @classmethod
    def setUpClass(cls):
        pki = None
        if cls.secure:
            pki = tempfile.mkdtemp(prefix="farm-pki-",
                                   dir=os.environ.get("TEST_TMPDIR"))
            subprocess.run([MAKE_PKI, pki], check=True)
        cls.cluster = Cluster(FARM, SCHEDULER, WORKER, workers=3, pki=pki)
        image = os.path.join(cls.cluster.dir, "busybox.tar")
        subprocess.run([MAKE_IMAGE, image], check=True)
        cls.cluster.run("load", "-i", image)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()

    def setUp(self):
        # Every test starts with the whole pool up.
        for worker_id, proc in list(self.cluster.workers.items()):
            if proc.poll() is not None:
                self.cluster.start_worker(worker_id)
        self.cluster.wait_workers(3)

    def assertBuilt(self, run):
        self.assertIsNotNone(run.result, run.output())
        self.assertTrue(run.result["ok"],
                        run.output() + "\n" + self.cluster.dump_logs())

    def test_1_diamond_runs_middle_stages_on_different_workers_at_once(self):
        ctx = self.cluster.context("diamond", """
FROM busybox AS base
RUN echo base-diamond > /base
FROM base AS left
RUN sleep 2 && echo left > /left
FROM base AS right
RUN sleep 2 && echo right > /right
FROM base
COPY --from=left /left /left
COPY --from=right /right /right
""")
        run = self.cluster.build(ctx, "-t", "diamond:1")
        self.assertBuilt(run)
        left_start = steps(run, "echo left", "STEP_STARTED")
        right_start = steps(run, "echo right", "STEP_STARTED")
        left_done = steps(run, "echo left", "STEP_DONE")
        right_done = steps(run, "echo right", "STEP_DONE")
        self.assertEqual(len(left_start), 1, run.output())
        self.assertEqual(len(right_start), 1, run.output())
        self.assertNotEqual(left_start[0]["worker"], right_start[0]["worker"])
        # They overlapped in time: each started before the other finished.
        ts = lambda e: e["timestamp_unix_nanos"]
        self.assertLess(ts(left_start[0]), ts(right_done[0]))
        self.assertLess(ts(right_start[0]), ts(left_done[0]))

    def test_2_fully_cached_rebuild_dispatches_no_job(self):
        ctx = self.cluster.context("cached", """
FROM busybox AS one
RUN echo cached-one > /one
FROM busybox
COPY --from=one /one /one
RUN echo cached-two > /two
""")
        self.assertBuilt(self.cluster.build(ctx, "-t", "cached:1"))
        before = self.cluster.stats()["jobs_dispatched"]
        again = self.cluster.build(ctx, "-t", "cached:1")
        self.assertBuilt(again)
        self.assertEqual(again.result["jobs_dispatched"], 0)
        self.assertEqual(self.cluster.stats()["jobs_dispatched"], before)
        self.assertTrue(steps(again, "echo cached-two", "STEP_CACHED"))

    def test_3_killed_worker_stage_runs_again_elsewhere(self):
        ctx = self.cluster.context("killed", """
FROM busybox
RUN sleep 4 && echo survived > /survived
""")
        run = self.cluster.start_build(ctx, "-t", "killed:1")
        started = run.wait_for_event(
            lambda e: e["kind"] == "STEP_STARTED" and "survived" in e["text"])
        victim = started["worker"]
        self.cluster.kill_worker(victim)
        run.wait(timeout=120)
        self.assertBuilt(run)
        runners = {e["worker"] for e in steps(run, "survived", "STEP_STARTED")}
        self.assertIn(victim, runners)
        self.assertGreaterEqual(len(runners), 2, run.output())
        self.assertGreaterEqual(int(self.cluster.stats()["jobs_retried"]), 1)

    def test_4_stage_that_kills_its_worker_fails_after_three_attempts(self):
        ctx = self.cluster.context("crasher", """
FROM busybox
RUN sleep 60 && echo never > /crash-marker
""")
        run = self.cluster.start_build(ctx)
        killed = []
        # Play the stage that crashes its worker: each time the step starts,
        # its worker dies; a supervisor brings the worker back.
        for attempt in range(3):
            event = run.wait_for_event(
                lambda e: e["kind"] == "STEP_STARTED" and
                "crash-marker" in e["text"] and
                e.get("sequence", 0) not in killed, timeout=60)
            killed.append(event.get("sequence", 0))
            self.cluster.kill_worker(event["worker"]).wait()
            self.cluster.start_worker(event["worker"])
        run.wait(timeout=120)
        self.assertIsNotNone(run.result, run.output())
        self.assertFalse(run.result["ok"])
        self.assertIn("after 3 attempts", run.result["error"])
        # The pool is still up and still builds.
        self.cluster.wait_workers(3)
        ok = self.cluster.build(self.cluster.context("after-crash", """
FROM busybox
RUN echo still-working > /ok
"""))
        self.assertBuilt(ok)

    def test_5_twenty_concurrent_builds_run_each_shared_stage_once(self):
        contexts = []
        for i in range(5):
            contexts.append(self.cluster.context(f"shared-{i}", f"""
FROM busybox AS toolchain
RUN sleep 1 && echo shared-toolchain > /toolchain
FROM toolchain AS libs
RUN echo shared-libs > /libs
FROM libs
RUN echo app-{i} > /app
"""))
        before = self.cluster.stats().get("runs_by_stage_key", {})
        runs = [self.cluster.start_build(contexts[n % 5], "-t", f"shared{n}:1")
                for n in range(20)]
        for run in runs:
            run.wait(timeout=300)
            self.assertBuilt(run)
        after = self.cluster.stats()["runs_by_stage_key"]
        ran = {key: int(count) - int(before.get(key, 0))
               for key, count in after.items()}
        ran = {key: count for key, count in ran.items() if count > 0}
        # toolchain, libs and the five app stages, each run exactly once.
        self.assertEqual(len(ran), 7, ran)
        for key, count in ran.items():
            self.assertEqual(count, 1, f"{key} ran {count} times")
        # 7 distinct stages: toolchain, libs and five app stages.
        toolchain_runs = sum(len(steps(r, "shared-toolchain", "STEP_STARTED"))
                             for r in runs)
        self.assertLessEqual(toolchain_runs, 20)

    def test_6_unchanged_context_of_5000_files_uploads_nothing(self):
        files = {f"src/d{i % 50}/f{i}.txt": f"file {i}\n" for i in range(5000)}
        ctx = self.cluster.context("bigctx", "FROM busybox\nCOPY . /ctx\n", files)
        first = self.cluster.build(ctx, "-t", "bigctx:1")
        self.assertBuilt(first)
        self.assertGreater(first.result["uploaded_bytes"], 0)
        second = self.cluster.build(ctx, "-t", "bigctx:1")
        self.assertBuilt(second)
        self.assertEqual(second.result["uploaded_bytes"], 0)

    def test_7_client_that_disconnects_cancels_its_jobs(self):
        ctx = self.cluster.context("abandoned", """
FROM busybox
RUN sleep 120 && echo abandoned > /a
""")
        before = self.cluster.stats().get("jobs_cancelled", 0)
        run = self.cluster.start_build(ctx)
        run.wait_for_event(lambda e: e["kind"] == "STEP_STARTED" and
                           "abandoned" in e["text"])
        run.proc.kill()
        run.wait()
        deadline = time.time() + 30
        while time.time() < deadline:
            stats = self.cluster.stats()
            busy = [l for l in self.cluster.run("workers").stdout.splitlines()[1:]
                    if l.split()[2] != "0"]
            if int(stats.get("jobs_cancelled", 0)) > int(before) and not busy:
                return
            time.sleep(0.5)
        self.fail("the abandoned job was not cancelled:\n" +
                  self.cluster.run("workers").stdout + self.cluster.dump_logs())

    def test_8_sigterm_lets_a_busy_worker_finish_its_job(self):
        ctx = self.cluster.context("drain", """
FROM busybox
RUN sleep 3 && echo drained > /drained
""")
        run = self.cluster.start_build(ctx, "-t", "drain:1")
        started = run.wait_for_event(
            lambda e: e["kind"] == "STEP_STARTED" and "drained" in e["text"])
        worker = started["worker"]
        proc = self.cluster.kill_worker(worker, signal.SIGTERM)
        run.wait(timeout=120)
        self.assertBuilt(run)
        runners = {e["worker"] for e in steps(run, "drained", "STEP_STARTED")}
        self.assertEqual(runners, {worker}, run.output())
        self.assertEqual(proc.wait(timeout=30), 0)

    def test_9_scheduler_restart_gives_a_clear_error_and_keeps_the_cache(self):
        ctx = self.cluster.context("restart", """
FROM busybox AS done-before
RUN echo kept-in-cache > /kept
FROM done-before
RUN sleep 8 && echo interrupted > /interrupted
""")
        cached = self.cluster.context("restart-cached", """
FROM busybox
RUN echo kept-in-cache > /kept
""")
        self.assertBuilt(self.cluster.build(cached, "-t", "kept:1"))
        run = self.cluster.start_build(ctx)
        run.wait_for_event(lambda e: e["kind"] == "STEP_STARTED" and
                           "interrupted" in e.get("text", ""))
        self.cluster.restart_scheduler()
        run.wait(timeout=120)
        self.assertNotEqual(run.proc.returncode, 0)
        self.assertRegex(run.output(), r"(?i)not known to this scheduler|restart")
        # The workers come back, and what the cache held before is still there.
        self.cluster.wait_workers(3)
        again = self.cluster.build(cached, "-t", "kept:1")
        self.assertBuilt(again)
        self.assertEqual(again.result["jobs_dispatched"], 0)
        self.assertTrue(steps(again, "kept-in-cache", "STEP_CACHED"))


    def test_10_secrets_reach_remote_runs_and_stay_out_of_the_image(self):
        secret = os.path.join(self.cluster.dir, "token.txt")
        with open(secret, "w") as f:
            f.write("remote-s3cr3t")
        ctx = self.cluster.context("secret", """
FROM busybox
RUN --mount=type=secret,id=tok,required=true test "$(cat /run/secrets/tok)" = remote-s3cr3t && echo checked > /checked
""")
        self.assertBuilt(self.cluster.build(
            ctx, "-t", "secret:1", "--secret", f"id=tok,src={secret}"))
        saved = os.path.join(self.cluster.dir, "secret.tar")
        self.cluster.run("save", "-o", saved, "secret:1")
        names, leaked = set(), False
        with tarfile.open(saved) as archive:
            manifest = json.load(archive.extractfile("manifest.json"))
            for path in manifest[0]["Layers"]:
                with tarfile.open(fileobj=archive.extractfile(path)) as layer:
                    entries = [(e, layer.extractfile(e).read() if e.isfile()
                                else b"") for e in layer.getmembers()]
                for entry, data in entries:
                    names.add(entry.name)
                    leaked = leaked or b"remote-s3cr3t" in data
        self.assertIn("checked", names)
        self.assertNotIn("run/secrets/tok", names)
        self.assertFalse(leaked)
        # Without the flag, a required secret is a clear error.
        missing = self.cluster.build(ctx, "--no-cache")
        self.assertIsNotNone(missing.result, missing.output())
        self.assertFalse(missing.result["ok"])
        self.assertIn('secret "tok" is required', missing.result["error"])

    def test_11_an_admin_drains_a_busy_worker(self):
        ctx = self.cluster.context("drain-rpc", """
FROM busybox
RUN sleep 3 && echo drained-by-admin > /drained
""")
        run = self.cluster.start_build(ctx)
        started = run.wait_for_event(
            lambda e: e["kind"] == "STEP_STARTED" and "by-admin" in e["text"])
        worker = started["worker"]
        if self.secure:
            refused = self.cluster.run("workers", "drain", worker, who="a",
                                       check=False)
            self.assertEqual(refused.returncode, 1)
            self.assertIn("admin", refused.stderr)
        self.cluster.run("workers", "drain", worker)
        run.wait(timeout=120)
        self.assertBuilt(run)
        runners = {e["worker"] for e in steps(run, "by-admin", "STEP_STARTED")}
        self.assertEqual(runners, {worker}, run.output())
        self.assertEqual(self.cluster.workers[worker].wait(timeout=30), 0)
        missing = self.cluster.run("workers", "drain", "no-such-worker",
                                   check=False)
        self.assertEqual(missing.returncode, 1)
        self.assertIn("no worker no-such-worker", missing.stderr)


class SecureDistributedTest(DistributedTest):
    """Every scenario again, over TLS, with the workers' token and an admin
    client."""
    secure = True


if __name__ == "__main__":
    unittest.main(verbosity=2)
