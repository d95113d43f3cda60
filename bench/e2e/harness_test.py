"""Checks the parts of the end-to-end benchmarks that decide what they
report: reading BuildKit's and farm's progress output, the statistics and
the table, the context tree, and the Docker check. No Docker needed."""

import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import context_tree  # noqa: E402
import docker_peer  # noqa: E402
import harness  # noqa: E402
import progress  # noqa: E402

# BuildKit 0.8's plain progress (docker 20.10) for a rebuild in which one
# file of a large context changed; digests shortened.
BUILDKIT_PLAIN = """\
#1 [internal] load build definition from Dockerfile
#1 sha256:93bc
#1 transferring dockerfile: 32B done
#1 DONE 0.0s

#2 [internal] load .dockerignore
#2 sha256:68b9
#2 transferring context: 2B done
#2 DONE 0.0s

#3 [internal] load metadata for docker.io/library/busybox:latest
#3 sha256:da85
#3 DONE 0.0s

#4 [1/2] FROM docker.io/library/busybox:latest
#4 sha256:08a0
#4 DONE 0.0s

#5 [internal] load build context
#5 sha256:5f1e
#5 transferring context: 12.58MB 0.5s
#5 transferring context: 314.57MB 2.3s done
#5 DONE 2.4s

#6 [2/2] COPY . /ctx
#6 sha256:0d53
#6 CACHED

#7 exporting to image
#7 sha256:e8c6
#7 exporting layers done
#7 writing image sha256:2293 done
#7 naming to docker.io/bench/context:latest done
#7 DONE 0.0s
"""


def event(kind, step, text="", ts=0, duration=0):
    return {"type": "event", "kind": kind, "step": step, "text": text,
            "timestamp_unix_nanos": ts, "duration_nanos": duration}


class BuildKitStepsTest(unittest.TestCase):
    def test_reads_steps_times_and_transferred_bytes(self):
        steps = progress.BuildKitSteps(BUILDKIT_PLAIN)
        self.assertEqual(steps.names[5], "[internal] load build context")
        self.assertEqual(steps.names[6], "[2/2] COPY . /ctx")
        self.assertEqual(steps.step_ms("[internal] load build context"),
                         2400.0)
        self.assertIsNone(steps.step_ms("[internal] no such step"))
        # The last transfer report is the total, not the first.
        self.assertEqual(steps.context_bytes, 314_570_000)
        self.assertTrue(steps.all_cached())

    def test_a_step_that_ran_is_not_cached(self):
        text = BUILDKIT_PLAIN.replace("#6 CACHED", "#6 DONE 3.1s")
        steps = progress.BuildKitSteps(text)
        self.assertFalse(steps.all_cached())
        self.assertEqual(steps.step_ms("[2/2] COPY . /ctx"), 3100.0)

    def test_finds_instructions_by_their_dockerfile_text(self):
        text = BUILDKIT_PLAIN.replace("#6 CACHED", "#6 DONE 3.1s")
        steps = progress.BuildKitSteps(text)
        self.assertEqual(steps.instruction_ms("COPY . /ctx"), 3100.0)
        self.assertFalse(steps.instruction_cached("COPY . /ctx"))
        cached = progress.BuildKitSteps(BUILDKIT_PLAIN)
        self.assertIsNone(cached.instruction_ms("COPY . /ctx"))
        self.assertTrue(cached.instruction_cached("COPY . /ctx"))
        self.assertIsNone(steps.instruction_ms("load build context"))
        self.assertFalse(steps.instruction_cached("RUN true"))

    def test_timeline_has_every_step_with_exporting_by_its_name(self):
        steps = progress.BuildKitSteps(
            BUILDKIT_PLAIN.replace("#7 DONE 0.0s", "#7 DONE 1.5s"))
        self.assertEqual(steps.others, {7: "exporting to image"})
        timeline = steps.timeline()
        self.assertEqual(len(timeline), 7)
        self.assertEqual(timeline[5], ("[2/2] COPY . /ctx", None, True))
        self.assertEqual(timeline[6], ("exporting to image", 1500.0, False))
        self.assertTrue(steps.all_cached())  # exporting is no instruction

    def test_tail_runs_from_the_last_output_line_to_done(self):
        text = BUILDKIT_PLAIN.replace(
            "#6 CACHED",
            "#6 0.401 Get:1 x\n#6 9.960 Processing\n#6 DONE 10.1s")
        steps = progress.BuildKitSteps(text)
        self.assertAlmostEqual(steps.tails()["[2/2] COPY . /ctx"], 140.0)
        self.assertEqual(len(steps.tails()), 1)

    def test_output_without_instructions_is_not_cached(self):
        steps = progress.BuildKitSteps("#1 [internal] x\n")
        self.assertFalse(steps.all_cached())


class FarmProgressTest(unittest.TestCase):
    def test_tail_runs_from_the_last_log_line_to_the_end(self):
        events = [
            event("STEP_STARTED", 2, "RUN apt", ts=1_000_000),
            event("STEP_LOG", 2, "Get:1", ts=2_000_000),
            event("STEP_LOG", 2, "Setting up", ts=5_000_000),
            event("STEP_DONE", 2, ts=8_000_000),
            event("STEP_STARTED", 3, "COPY a /a", ts=8_000_000),
            event("STEP_DONE", 3, ts=9_000_000),
        ]
        self.assertEqual(progress.farm_step_tails(events), {"RUN apt": 3.0})

    def test_lists_every_step_in_order_with_durations(self):
        events = [
            event("STEP_STARTED", -3, "load build context"),
            event("STEP_DONE", -3, duration=4_000_000),
            event("STEP_STARTED", 2, "RUN make"),
            event("STEP_CACHED", 1, "FROM busybox:latest"),
        ]
        self.assertEqual(progress.farm_steps(events), [
            ("load build context", 4.0, False),
            ("FROM busybox:latest", None, True),
            ("RUN make", None, False)])

    def test_context_phase_ends_when_the_upload_is_done(self):
        events = [
            event("STEP_STARTED", -3, "load build context", ts=1_000_000),
            event("STEP_DONE", -3, ts=5_000_000, duration=4_000_000),
            event("STEP_STARTED", -4, "transferring context", ts=6_000_000),
            event("STEP_DONE", -4, ts=9_000_000, duration=3_000_000),
            event("STEP_STARTED", 1, "FROM busybox:latest", ts=9_500_000),
        ]
        self.assertEqual(progress.farm_context_ms(events), 8.0)
        self.assertEqual(progress.farm_step_ms(events, "load build context"),
                         4.0)
        self.assertEqual(progress.farm_step_ms(events, "transferring context"),
                         3.0)

    def test_with_nothing_to_upload_it_ends_at_the_first_farm_step(self):
        events = [
            event("STEP_STARTED", -3, "load build context", ts=2_000_000),
            event("STEP_DONE", -3, ts=3_000_000, duration=1_000_000),
            event("CACHED", 1, "FROM busybox:latest", ts=7_000_000),
            event("CACHED", 2, "COPY . /ctx", ts=8_000_000),
        ]
        self.assertEqual(progress.farm_context_ms(events), 5.0)
        self.assertIsNone(progress.farm_step_ms(events, "transferring context"))

    def test_a_later_upload_batch_moves_the_end(self):
        events = [
            event("STEP_STARTED", -3, "load build context", ts=0),
            event("STEP_STARTED", -4, "transferring context", ts=1_000_000),
            event("STEP_DONE", -4, ts=2_000_000),
            event("STEP_STARTED", 1, "FROM busybox:latest", ts=2_500_000),
            event("STEP_STARTED", -5, "transferring context", ts=3_000_000),
            event("STEP_DONE", -5, ts=6_000_000),
        ]
        self.assertEqual(progress.farm_context_ms(events), 6.0)

    def test_a_cached_step_has_no_time(self):
        events = [
            event("STEP_STARTED", 2, "COPY src /src"),
            event("STEP_DONE", 2, "COPY src /src", duration=7_000_000),
            event("STEP_CACHED", 3, "RUN du -s /src > /size"),
        ]
        self.assertEqual(progress.farm_step_ms(events, "COPY src /src"), 7.0)
        self.assertFalse(progress.farm_step_cached(events, "COPY src /src"))
        self.assertIsNone(
            progress.farm_step_ms(events, "RUN du -s /src > /size"))
        self.assertTrue(
            progress.farm_step_cached(events, "RUN du -s /src > /size"))

    def test_reads_events_and_the_result_among_other_lines(self):
        text = "\n".join([
            '{"type":"accepted","build_id":"b-1"}',
            'not json at all',
            '{"type":"event","kind":"CACHED","step":1,"text":"RUN x"}',
            '{"type":"result","ok":true,"uploaded_bytes":0,'
            '"jobs_dispatched":0}',
        ])
        events, result = progress.farm_json(text)
        self.assertEqual([e["text"] for e in events], ["RUN x"])
        self.assertEqual(result["jobs_dispatched"], 0)
        self.assertIsNone(progress.farm_context_ms(events))


class StatisticsAndTableTest(unittest.TestCase):
    def test_samples(self):
        s = harness.Samples()
        self.assertIsNone(s.median())
        self.assertEqual(s.describe(), "n/a")
        for ms in (30.0, 10.0, 20.0, 1000.0):
            s.add(ms)
        self.assertEqual(s.median(), 25.0)
        self.assertEqual(s.describe(),
                         "25.0 ms (min 10.0 ms, max 1.00 s, n=4)")

    def test_formats(self):
        self.assertEqual(harness.format_ms(12.345), "12.3 ms")
        self.assertEqual(harness.format_ms(2345), "2.35 s")
        self.assertEqual(harness.format_ms(23450), "23.4 s")
        self.assertEqual(harness.format_bytes(0), "0 B")
        self.assertEqual(harness.format_bytes(314_572_800), "314.6 MB")
        self.assertIsNone(harness.ratio(None, 10.0))
        self.assertEqual(harness.ratio(90.0, 30.0), 3.0)

    def test_report_marks_missed_targets(self):
        report = harness.Report("Rebuild")
        report.add("rebuild", "30 ms", "60 ms")
        report.add("speed-up", "2.0×", "", "≥ 3×", False)
        report.add("under 100 ms", "30 ms", "", "< 100 ms", True)
        report.note("2 cores")
        text = report.render()
        self.assertIn("### Rebuild", text)
        self.assertIn("| speed-up | 2.0× |  | ≥ 3× | **no** |", text)
        self.assertIn("| under 100 ms | 30 ms |  | < 100 ms | yes |", text)
        self.assertIn("| rebuild | 30 ms | 60 ms |  |  |", text)
        self.assertTrue(text.rstrip().endswith("- 2 cores"))

    def test_interleave_alternates_and_numbers_warmups_negative(self):
        calls = []
        harness.interleave(2, [lambda i: calls.append(("a", i)),
                               lambda i: calls.append(("b", i))], warmup=1)
        self.assertEqual(calls, [("a", -1), ("b", -1), ("a", 0), ("b", 0),
                                 ("a", 1), ("b", 1)])


class ContextTreeTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))

    def tearDown(self):
        shutil.rmtree(self.dir)

    def read_all(self, root):
        out = {}
        for base, _, files in os.walk(root):
            for name in files:
                path = os.path.join(base, name)
                with open(path, "rb") as f:
                    out[os.path.relpath(path, root)] = f.read()
        return out

    def test_tree_has_the_asked_size_and_is_the_same_every_time(self):
        a, b = os.path.join(self.dir, "a"), os.path.join(self.dir, "b")
        self.assertEqual(context_tree.make_tree(a, 250, 1_000_000, dirs=10),
                         1_000_000)
        context_tree.make_tree(b, 250, 1_000_000, dirs=10)
        files_a, files_b = self.read_all(a), self.read_all(b)
        self.assertEqual(files_a, files_b)
        data = {k: v for k, v in files_a.items() if k != "Dockerfile"}
        self.assertEqual(len(data), 250)
        self.assertEqual(sum(len(v) for v in data.values()), 1_000_000)
        self.assertEqual(len({os.path.dirname(k) for k in data}), 10)
        self.assertEqual(files_a["Dockerfile"].decode(),
                         context_tree.DOCKERFILE)

    def test_tree_without_a_dockerfile(self):
        root = os.path.join(self.dir, "src")
        self.assertEqual(
            context_tree.make_tree(root, 20, 2_000, dirs=2, dockerfile=None),
            2_000)
        files = self.read_all(root)
        self.assertEqual(len(files), 20)
        self.assertNotIn("Dockerfile", files)

    def test_change_one_changes_exactly_one_file(self):
        root = os.path.join(self.dir, "t")
        context_tree.make_tree(root, 40, 40_000, dirs=4)
        before = self.read_all(root)
        context_tree.change_one(root, generation=1, index=7, dirs=4)
        after = self.read_all(root)
        changed = [k for k in before if before[k] != after[k]]
        self.assertEqual(changed, [os.path.join("d003", "f00007.bin")])
        self.assertEqual(len(after[changed[0]]), len(before[changed[0]]))
        context_tree.change_one(root, generation=2, index=7, dirs=4)
        self.assertNotEqual(self.read_all(root)[changed[0]], after[changed[0]])


class DockerPeerTest(unittest.TestCase):
    def test_says_why_docker_is_missing(self):
        reason = docker_peer.missing_reason(docker="/nonexistent/docker")
        self.assertIn("docker.io is not installed", reason)
        self.assertIn("/nonexistent/docker", reason)


if __name__ == "__main__":
    unittest.main()
