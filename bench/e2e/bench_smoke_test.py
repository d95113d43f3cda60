"""Runs every end-to-end benchmark once on small inputs, farm's side only
(CI has no Docker), so that the scripts keep working as farm changes:
each must finish, print its table, and find what it checks for (a fully
cached rebuild that dispatches nothing, an unchanged context that uploads
nothing)."""

import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
FARM, SCHEDULER, WORKER, BUSYBOX, MAKE_PKI = sys.argv[1:6]
del sys.argv[1:6]


class BenchSmokeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        cls.context = os.path.join(cls.dir, "context")
        os.makedirs(cls.context)
        with open(os.path.join(cls.context, "Dockerfile"), "w") as f:
            f.write("FROM busybox:latest AS build\nCOPY a.txt /a.txt\n"
                    "RUN tr a-z A-Z </a.txt >/b.txt\n"
                    "FROM busybox:latest\nCOPY --from=build /b.txt /b.txt\n")
        with open(os.path.join(cls.context, "a.txt"), "w") as f:
            f.write("hello\n")

    def bench(self, name, *extra):
        workdir = tempfile.mkdtemp(dir=self.dir, prefix=name)
        proc = subprocess.run(
            [sys.executable, os.path.join(HERE, name + ".py"),
             "--farm", FARM, "--scheduler", SCHEDULER, "--worker", WORKER,
             "--busybox-script", BUSYBOX, "--make-pki", MAKE_PKI,
             "--no-docker", "--runs", "1",
             "--warmup", "1", "--workdir", workdir, *extra],
            capture_output=True, text=True, timeout=240)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn("Docker column: skipped (--no-docker).", proc.stdout)
        return proc.stdout

    def row(self, table, starts):
        rows = [line for line in table.splitlines()
                if line.startswith("| " + starts)]
        self.assertEqual(len(rows), 1, table)
        return [cell.strip() for cell in rows[0].strip("|").split("|")]

    def test_cached_rebuild(self):
        table = self.bench("cached_rebuild_bench", "--context", self.context)
        for side in ("server running", "server cold start"):
            cells = self.row(table, f"fully cached rebuild, {side}")
            self.assertRegex(cells[1], r"^\d+\.\d ms \(min .*n=1\)$")
            self.assertEqual(cells[2], "n/a")

    def test_cold_build(self):
        table = self.bench("cold_build_bench", "--context", self.context)
        unpacked = self.row(table, "cold build, base unpacked (")
        self.assertRegex(unpacked[1], r"n=1\)$")
        unpacking = self.row(table, "cold build, base unpacked during")
        self.assertRegex(unpacking[1], r"n=1\)$")

    def test_local_server(self):
        table = self.bench("local_server_bench", "--concurrent", "2")
        for row in ("`farm images`, server running",
                    "`farm images`, server started",
                    "2 builds started at once"):
            self.assertRegex(self.row(table, row)[1], r"n=1\)$")

    def test_remote_rebuild(self):
        table = self.bench("remote_rebuild_bench", "--context", self.context)
        for side in ("plaintext", "TLS + token"):
            self.assertRegex(
                self.row(table, f"fully cached rebuild, {side}")[1],
                r"n=1\)$")
            self.assertEqual(self.row(table, f"farm's rebuild, {side}")[3],
                             "< 100 ms")
        self.assertIn("fully cached builds", table)
        self.assertRegex(self.row(table, "TLS handshake")[1], r"ms$")

    def test_context_transfer(self):
        table = self.bench("context_transfer_bench", "--files", "60",
                           "--megabytes", "1")
        first = self.row(table, "first build: context phase")
        self.assertRegex(first[1], r"sent 1\.0 MB$")
        unchanged = self.row(table, "unchanged rebuild: context phase")
        self.assertRegex(unchanged[1], r"sent 0 B$")
        self.assertEqual(unchanged[4], "yes")
        changed = self.row(table, "one file changed: context phase")
        self.assertRegex(changed[1], r"sent \d+\.\d kB$")

    def test_big_context(self):
        table = self.bench("big_context_bench", "--files", "50",
                           "--megabytes", "1", "--mode", "both")
        targets = {"cold": "≥ 1.5×", "unchanged rebuild": "≥ 4×",
                   "one file changed": "≥ 3×"}
        for mode in ("embedded", "remote"):
            for case, target in targets.items():
                whole = self.row(table, f"{mode}, {case}: whole build")
                self.assertRegex(whole[1], r"n=1\)$")
                self.assertEqual(whole[2], "n/a")
                ratio = self.row(table, f"{mode}, {case}: Docker's time")
                self.assertEqual(ratio[1:], ["n/a", "", target, ""])
            self.assertRegex(self.row(table, f"{mode}, cold: steps")[1],
                             r"^COPY \d+\.\d+ m?s, RUN \d+\.\d+ m?s$")
            self.assertEqual(
                self.row(table, f"{mode}, unchanged rebuild: steps")[1],
                "COPY cached, RUN cached")
            self.assertRegex(
                self.row(table, f"{mode}, one file changed: steps")[1],
                r"^COPY \d")


if __name__ == "__main__":
    unittest.main()
