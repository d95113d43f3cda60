"""Issue 15's browser tests: headless Chromium (Debian's chromium and
chromedriver, through webdriver.py) against a real farm-scheduler with its
dashboard on --http-listen, two farm-workers, TLS, tokens and two tenants.
Every page is saved as a screenshot in the test's outputs
($TEST_UNDECLARED_OUTPUTS_DIR) for a reviewer to look at."""

import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "distributed"))
from cluster import Cluster, wait_for  # noqa: E402
from webdriver import WebDriver  # noqa: E402

if __name__ == "__main__":
  FARM, SCHEDULER, WORKER, MAKE_IMAGE, MAKE_PKI = (
      os.path.abspath(p) for p in sys.argv[1:6])
  del sys.argv[1:6]

OUTPUTS = os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR") or tempfile.mkdtemp(
    prefix="farm-dashboard-shots-")

# Two middle stages that run at once, each printing a line at a time.
DIAMOND = """\
FROM busybox AS base
RUN echo {nonce} > /base
FROM base AS left
RUN for i in $(seq 1 16); do echo left-line-$i | tee -a /left; sleep 0.5; done
FROM base AS right
RUN for i in $(seq 1 16); do echo right-line-$i | tee -a /right; sleep 0.5; done
FROM base
COPY --from=left /left /left
COPY --from=right /right /right
"""

# The RUN on line 3 fails after printing a line.
FAILING = """\
FROM busybox
RUN echo {nonce} > /x
RUN echo about-to-fail && exit 3
RUN echo never
"""

SLOW = """\
FROM busybox
RUN echo {nonce} && sleep 60
"""


class DashboardTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        pki = tempfile.mkdtemp(prefix="farm-pki-",
                               dir=os.environ.get("TEST_TMPDIR"))
        subprocess.run([MAKE_PKI, pki], check=True)
        cls.cluster = Cluster(FARM, SCHEDULER, WORKER, workers=2, pki=pki,
                              scheduler_args=["--http-listen", "127.0.0.1:0"])
        cls.browser = None
        try:
            cls._start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def _start(cls):
        line = cls.cluster.scheduler.stdout.readline().decode()
        assert line.startswith("dashboard at https://"), line
        cls.url = line.split()[-1]
        image = os.path.join(cls.cluster.dir, "busybox.tar")
        subprocess.run([MAKE_IMAGE, image], check=True)
        for tenant in ("a", "b"):
            cls.cluster.run("load", "-i", image, who=tenant)
        cls.tls = ssl.create_default_context(cafile=cls.cluster.pki_file("ca.pem"))
        # The CA is the test's own: the browser is told to accept it.
        cls.browser = WebDriver(extra_args=["--ignore-certificate-errors"])
        cls.login("a")

    @classmethod
    def tearDownClass(cls):
        if cls.browser is not None:
            cls.browser.quit()
        cls.cluster.close()

    @classmethod
    def login(cls, who):
        b = cls.browser
        b.get(cls.url + "/login")
        b.delete_cookies()
        b.get(cls.url + "/builds")
        b.wait_for("location.pathname === '/login' && "
                   "document.querySelector('#token') !== null")
        b.send_keys(b.find("#token"), cls.cluster.token(who))
        b.click(b.find("#login"))
        b.wait_for("location.pathname === '/builds' && "
                   "document.querySelector('#builds') !== null")

    def tearDown(self):
        # The page as the test left it, which is what a failure needs.
        self.shot(f"{self._testMethodName}-end")

    def shot(self, name):
        self.browser.screenshot(os.path.join(OUTPUTS, f"{name}.png"))

    def api(self, path, token=None):
        request = urllib.request.Request(self.url + path)
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, context=self.tls,
                                        timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def start(self, name, dockerfile, who="a"):
        context = self.cluster.context(
            name, dockerfile.format(nonce=uuid.uuid4().hex))
        run = self.cluster.start_build(context, who=who)
        dashboard = None
        deadline = time.time() + 30
        while time.time() < deadline:
            with run._lock:
                for line in run.lines:
                    if '"type":"dashboard"' in line.replace(" ", ""):
                        dashboard = json.loads(line)["url"]
            if dashboard:
                break
            time.sleep(0.05)
        self.assertIsNotNone(dashboard, "farm build printed no dashboard URL:\n"
                             + run.output())
        self.assertTrue(dashboard.startswith(self.url + "/builds/b"), dashboard)
        return run, dashboard

    def state(self):
        return self.browser.text(self.browser.find("#build-state")).strip()

    def test_1_diamond_build_live_then_timeline(self):
        b = self.browser
        run, page = self.start("diamond", DIAMOND)
        started = time.time()
        b.get(page)
        print(f"build page loaded in {time.time() - started:.2f} s")
        # Both middle stages running at once, on different workers.
        b.wait_for("""return document.querySelectorAll(
            '#stage-graph g.stage[data-state=running]').length >= 2""",
                   timeout=60)
        workers = b.wait_for("""
            const bars = [...document.querySelectorAll(
                '#timeline rect.job[data-state=running]')];
            const ws = new Set(bars.map(r => r.getAttribute('data-worker')));
            return ws.size >= 2 ? [...ws] : null;""", timeout=20)
        self.assertEqual(sorted(workers), ["w1", "w2"])
        self.assertEqual(
            len(b.find_all("#stage-graph g.stage")), 4)
        # Log lines arrive while the build runs.
        b.wait_for("document.querySelector('#log').textContent"
                   ".includes('left-line-2')", timeout=20)
        self.assertEqual(self.state(), "running")
        self.shot("build-running")
        self.assertEqual(run.wait(timeout=120), 0, run.output())
        b.wait_for("document.querySelector('#build-state').textContent"
                   ".trim() === 'succeeded'", timeout=20)
        b.wait_for("document.querySelectorAll("
                   "'#stage-graph g.stage[data-state=done]').length === 4",
                   timeout=10)
        jobs = run.result["jobs_dispatched"]
        self.assertEqual(jobs, 4, run.output())
        b.wait_for(f"document.querySelectorAll('#timeline rect.job')"
                   f".length === {jobs}", timeout=10)
        log = b.text(b.find("#log"))
        for line in ("left-line-16", "right-line-16"):
            self.assertIn(line, log)
        self.shot("build-done")

    def test_2_failed_build_marks_its_line(self):
        b = self.browser
        run, page = self.start("failing", FAILING)
        self.assertNotEqual(run.wait(timeout=120), 0)
        b.get(page)
        b.wait_for("document.querySelector('#build-state').textContent"
                   ".trim() === 'failed'", timeout=20)
        failing = b.wait_for(
            "return [...document.querySelectorAll('#dockerfile .line.failing')]"
            ".map(e => e.getAttribute('data-line'))", timeout=10)
        self.assertEqual(failing, ["3"])
        b.wait_for("document.querySelector('#log').textContent"
                   ".includes('about-to-fail')", timeout=10)
        self.assertIn("exit code", b.text(b.find("#failure")).lower())
        self.shot("build-failed")

    def test_3_cancel_from_the_page(self):
        b = self.browser
        run, page = self.start("slow", SLOW)
        b.get(page)
        b.wait_for("document.querySelectorAll("
                   "'#stage-graph g.stage[data-state=running]').length === 1",
                   timeout=60)
        b.click(b.find("#cancel"))
        b.wait_for("document.querySelector('#build-state').textContent"
                   ".trim() === 'cancelled'", timeout=30)
        self.assertNotEqual(run.wait(timeout=60), 0)
        self.assertIn("cancel", run.output().lower())
        self.shot("build-cancelled")

    def test_4_builds_workers_and_cache_pages(self):
        b = self.browser
        b.get(self.url + "/builds")
        rows = b.wait_for("return document.querySelectorAll("
                          "'#builds tbody tr[data-build-id]').length >= 3")
        self.assertTrue(rows)
        self.shot("builds")
        b.get(self.url + "/builds?state=failed")
        b.wait_for("""const rows = [...document.querySelectorAll(
            '#builds tbody tr[data-build-id]')];
            return rows.length >= 1 &&
                rows.every(r => r.getAttribute('data-state') === 'failed')""")
        b.get(self.url + "/workers")
        b.wait_for("document.querySelectorAll("
                   "'#workers tbody tr[data-worker-id]').length === 2")
        self.assertEqual(len(b.find_all("#workers svg.sparkline")), 2)
        self.shot("workers")
        # The cache page is the admin's.
        self.login("admin")
        b.get(self.url + "/cache")
        b.wait_for("document.querySelector('#cache-size') && "
                   "document.querySelector('#cache-size').textContent.length > 0")
        b.wait_for("document.querySelectorAll('#pins tbody tr').length >= 1")
        self.shot("cache")

    def test_5_tenants_and_tokens(self):
        status, body = self.api("/api/builds")
        self.assertEqual(status, 401, body)
        status, mine = self.api("/api/builds", self.cluster.token("a"))
        self.assertEqual(status, 200)
        a_ids = [row["id"] for row in mine["builds"]]
        self.assertGreaterEqual(len(a_ids), 3)
        status, theirs = self.api("/api/builds", self.cluster.token("b"))
        self.assertEqual(status, 200)
        self.assertFalse(set(a_ids) & {row["id"] for row in theirs["builds"]})
        status, _ = self.api(f"/api/builds/{a_ids[0]}", self.cluster.token("b"))
        self.assertEqual(status, 404)
        # In the browser too: tenant B's list shows none of A's builds.
        self.login("b")
        b = self.browser
        b.wait_for("document.querySelector('#builds') !== null")
        time.sleep(1)  # the feed's first message has arrived by now
        shown = b.execute("return [...document.querySelectorAll("
                          "'#builds tbody tr[data-build-id]')]"
                          ".map(r => r.getAttribute('data-build-id'))")
        self.assertFalse(set(a_ids) & set(shown), shown)
        self.shot("builds-tenant-b")


if __name__ == "__main__":
    unittest.main(verbosity=2)
