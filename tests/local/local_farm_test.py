"""The local farm server and its containers end to end (issue 16): every
`farm --root R` command talks to one server per root, so concurrent builds
share stage jobs; `run -d -p` serves a page while other commands work;
stop/rm leave no process, mount or network namespace behind; and a server
killed with -9 mid-build fails that build clearly and is replaced by the
next command."""

import glob
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

FARM, MAKE_IMAGE, WEBAPP = (os.path.abspath(p) for p in sys.argv[1:4])
del sys.argv[1:4]

# The counters `farm stats` reads live in the server: keep it up across a
# test's pauses (not only .bazelrc's 5 s). Each class stops its server.
ENV = dict(os.environ, FARM_SERVER_IDLE_SECONDS="60")
ENV.pop("FARM_REMOTE", None)
ENV.pop("FARM_ROOT", None)

PAGE = "Hello Docker!"
HTML = "/usr/share/nginx/html"
# Bazel may set http_proxy; the containers are on this host.
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def describe(proc):
    return (f"{' '.join(map(str, proc.args[3:]))}: exit {proc.returncode}\n"
            f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}")


def ok(proc):
    """`proc` if it exited 0, else an AssertionError with its output."""
    if proc.returncode != 0:
        raise AssertionError(describe(proc))
    return proc


def free_ports(n):
    """n distinct host ports free on every address, as -p binds 0.0.0.0."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("0.0.0.0", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def get(port, path="/"):
    """The body at http://127.0.0.1:port/path, or the error as text."""
    try:
        with NO_PROXY.open(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
            return r.read().decode(errors="replace")
    except (OSError, http.client.HTTPException) as e:
        return f"<{e!r}>"


def wait_for(port, text, path="/", seconds=15):
    """The body once it holds `text` (httpd takes a moment to listen)."""
    deadline = time.monotonic() + seconds
    while True:
        body = get(port, path)
        if text in body or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


def cmdlines():
    """{pid: command line with spaces} of every process we can read."""
    out = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                raw = f.read()
        except OSError:
            continue
        cmd = raw.rstrip(b"\0").replace(b"\0", b" ").decode(errors="replace")
        if cmd.strip():  # kernel threads and zombies have none
            out[int(pid)] = cmd
    return out


def mount_points():
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4].replace("\\040", " ") for line in f]


def counter(stats, name):
    # Protobuf's JSON prints int64 as a string.
    return int(stats.get(name, 0))


def runs_by_key(stats):
    return {k: int(v) for k, v in stats.get("runs_by_stage_key", {}).items()}


class LocalFarmCase(unittest.TestCase):
    """A fresh root with busybox:latest loaded (and webapp:1.0 built when
    WEBAPP is set); its containers and server are gone at the end."""
    WEBAPP = False

    @classmethod
    def setUpClass(cls):
        tmp = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        # Real paths: mountinfo and command lines show them.
        cls.tmp = os.path.realpath(tmp)
        cls.root = os.path.join(cls.tmp, "root")
        cls.addClassCleanup(cls.clean_up)
        image = os.path.join(cls.tmp, "busybox.tar")
        subprocess.run([MAKE_IMAGE, image], check=True)
        ok(cls.farm("load", "-i", image))
        if cls.WEBAPP:
            ctx = os.path.join(cls.tmp, "web-app")
            shutil.copytree(os.path.dirname(WEBAPP), ctx)
            ok(cls.farm("build", "--progress", "plain", "-t", "webapp:1.0",
                        ctx, timeout=300))

    @classmethod
    def clean_up(cls):
        # rm before stop: a running container keeps the server up, and a
        # command after `server stop` would start a new one.
        try:
            ids = cls.farm("ps", "-aq", timeout=60).stdout.split()
            if ids:
                cls.farm("rm", "-f", *ids, timeout=60)
            cls.farm("server", "stop", timeout=60)
        except subprocess.TimeoutExpired:
            pass

    @classmethod
    def command(cls, *args):
        return [FARM, "--root", cls.root, *map(str, args)]

    @classmethod
    def farm(cls, *args, timeout=120):
        return subprocess.run(cls.command(*args), capture_output=True,
                              text=True, timeout=timeout, env=ENV,
                              stdin=subprocess.DEVNULL)

    def context(self, name, dockerfile):
        ctx = os.path.join(self.tmp, "ctx", name)
        os.makedirs(ctx, exist_ok=True)
        with open(os.path.join(ctx, "Dockerfile"), "w") as f:
            f.write(dockerfile)
        return ctx

    def build(self, name, dockerfile, *flags):
        return self.farm("build", "--progress", "plain", *flags,
                         self.context(name, dockerfile), timeout=300)

    def images(self):
        """The "repo:tag" references `farm images` lists."""
        rows = ok(self.farm("images")).stdout.splitlines()[1:]
        return {":".join(row.split()[:2]) for row in rows if row.strip()}

    def ps_row(self, name, *flags):
        """The `farm ps` row whose NAMES is `name`, or None."""
        proc = ok(self.farm("ps", *flags))
        self.assertTrue(proc.stdout.startswith("CONTAINER ID"), proc.stdout)
        for row in proc.stdout.splitlines()[1:]:
            if row.split() and row.split()[-1] == name:
                return row
        return None

    def server_pid(self):
        with open(os.path.join(self.root, "run", "server.pid")) as f:
            return int(f.read().split()[0])


class ConcurrentBuildsTest(LocalFarmCase):
    # A common first stage: slow enough that every concurrent build asks
    # for it while the first one's job is still running.
    SHARED = "FROM busybox AS base\nRUN sleep 3 && echo shared > /shared\n"

    def run_builds(self, dockerfiles):
        """Starts one build per tag at once; asserts that each exits 0."""
        builds = []
        for tag, dockerfile in dockerfiles.items():
            log = open(os.path.join(self.tmp, f"build-{tag}.log"), "w+")
            self.addCleanup(log.close)
            cmd = self.command("build", "--progress", "plain", "-t", tag,
                               self.context(tag, dockerfile))
            builds.append((tag, log, subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, env=ENV,
                stdin=subprocess.DEVNULL)))
        for tag, log, proc in builds:
            try:
                code = proc.wait(timeout=240)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
            log.seek(0)
            self.assertEqual(code, 0, f"build {tag}:\n{log.read()[-3000:]}")

    def stats(self):
        return json.loads(ok(self.farm("stats")).stdout)

    def test_concurrent_builds_run_shared_stages_once(self):
        before = self.stats()
        self.run_builds({
            f"t{i}": f"{self.SHARED}FROM base\nRUN echo {i} > /n\n"
            for i in range(10)})
        after = self.stats()
        # runs_by_stage_key counts each stage job key's dispatches: the
        # shared stage and the ten second stages ran once each.
        runs = runs_by_key(after)
        new = {k: v for k, v in runs.items() if k not in runs_by_key(before)}
        self.assertEqual(len(new), 11, after)
        self.assertEqual(set(new.values()), {1}, after)
        self.assertEqual(counter(after, "jobs_dispatched")
                         - counter(before, "jobs_dispatched"), 11, after)
        self.assertEqual(counter(after, "builds_succeeded")
                         - counter(before, "builds_succeeded"), 10, after)

        # Five identical builds: their own second stage runs once (joined
        # in flight or cached), the shared stage not again.
        same = self.SHARED + "FROM base\nRUN sleep 2 && echo same > /n\n"
        self.run_builds({f"u{i}": same for i in range(5)})
        last = self.stats()
        runs_now = runs_by_key(last)
        self.assertEqual({k: runs_now.get(k) for k in runs}, runs, last)
        added = {k: v for k, v in runs_now.items() if k not in runs}
        self.assertEqual(list(added.values()), [1], last)
        self.assertEqual(counter(last, "jobs_dispatched")
                         - counter(after, "jobs_dispatched"), 1, last)

        images = self.images()
        for tag in [f"t{i}" for i in range(10)] + [f"u{i}" for i in range(5)]:
            self.assertIn(f"{tag}:latest", images)
        # Each image holds the shared stage's file and its own.
        t3 = ok(self.farm("run", "--rm", "t3", "cat", "/shared", "/n"))
        self.assertEqual(t3.stdout.split(), ["shared", "3"])


class WebAppTest(LocalFarmCase):
    WEBAPP = True

    def httpds(self):
        """{pid: command line} of the web-app's httpd processes."""
        return {pid: cmd for pid, cmd in cmdlines().items()
                if cmd.split()[0].endswith("httpd") and HTML in cmd}

    def leftovers(self, httpds):
        """What a stopped, removed container left: processes naming the
        root (runc, slirp4netns, ...) but the server, the container's own
        httpd, mounts under the root, network namespace files. The server's
        build worker, with its spare RUN network, stops after two idle
        seconds, so the caller polls."""
        server = self.server_pid()
        procs = cmdlines()
        left = [f"process {pid}: {cmd}" for pid, cmd in procs.items()
                if self.root in cmd and pid != server
                and "serve-local" not in cmd]
        left += [f"httpd {pid}: {cmd}" for pid, cmd in httpds.items()
                 if procs.get(pid) == cmd]
        left += [f"mount {mp}" for mp in mount_points()
                 if mp == self.root or mp.startswith(self.root + "/")]
        left += glob.glob(os.path.join(self.root, "*/executor/netns/*.net"))
        return left

    def test_published_page_and_container_lifecycle(self):
        port, = free_ports(1)
        before = self.httpds()
        run = ok(self.farm("run", "-d", "-p", f"{port}:80", "--name", "web",
                           "webapp:1.0"))
        self.assertRegex(run.stdout.strip(), r"^[0-9a-f]{64}$")
        self.assertIn(PAGE, wait_for(port, PAGE))
        ours = {p: c for p, c in self.httpds().items() if p not in before}
        self.assertTrue(ours, "the container's httpd is not visible")

        # The server answers everything else while the container runs.
        self.assertIn("webapp:1.0", self.images())
        ok(self.build("during", "FROM busybox\nRUN echo during > /d\n",
                      "-t", "during:1"))
        hi = ok(self.farm("run", "--rm", "webapp:1.0", "echo", "hi"))
        self.assertEqual(hi.stdout.strip(), "hi")
        row = self.ps_row("web")
        self.assertIsNotNone(row, "farm ps does not list web")
        self.assertRegex(row, r"\bUp\b")
        self.assertIn(f"0.0.0.0:{port}->80/tcp", row)
        page = ok(self.farm("exec", "web", "cat", f"{HTML}/index.html"))
        self.assertIn(PAGE, page.stdout)
        ok(self.farm("logs", "web"))
        rmi = self.farm("rmi", "webapp:1.0")
        self.assertEqual(rmi.returncode, 1, describe(rmi))
        self.assertIn("is using its referenced image", rmi.stderr)
        self.assertIn(PAGE, get(port))

        stop = ok(self.farm("stop", "-t", "1", "web", timeout=60))
        self.assertEqual(stop.stdout.strip(), "web")
        row = self.ps_row("web", "-a")
        self.assertIsNotNone(row, "farm ps -a does not list the stopped web")
        self.assertIn("Exited", row)
        self.assertEqual(ok(self.farm("rm", "web")).stdout.strip(), "web")
        self.assertIsNone(self.ps_row("web", "-a"))
        # Helpers (slirp4netns) may take a moment to notice and exit, and
        # the build worker stops after two idle seconds.
        deadline = time.monotonic() + 10
        while self.leftovers(ours) and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertEqual(self.leftovers(ours), [])

    def test_run_env_rm_exit_codes_and_volumes(self):
        before = ok(self.farm("ps", "-aq")).stdout.split()
        env = self.farm("run", "--rm", "-e", "FOO=bar", "webapp:1.0",
                        "sh", "-c", "echo $FOO; exit 3")
        self.assertEqual(env.returncode, 3, describe(env))
        self.assertEqual(env.stdout.strip(), "bar")
        missing = self.farm("run", "--rm", "webapp:1.0", "nosuchcommand")
        self.assertEqual(missing.returncode, 127, describe(missing))
        no_image = self.farm("run", "--rm", "nosuchimage:1")
        self.assertEqual(no_image.returncode, 125, describe(no_image))

        host = os.path.join(self.tmp, "host")
        os.makedirs(host, mode=0o755, exist_ok=True)
        with open(os.path.join(host, "f"), "w") as f:
            f.write("from the host\n")
        volume = f"{host}:/data:ro"
        read = ok(self.farm("run", "--rm", "-v", volume, "webapp:1.0",
                            "cat", "/data/f"))
        self.assertEqual(read.stdout, "from the host\n")
        write = self.farm("run", "--rm", "-v", volume, "webapp:1.0",
                          "sh", "-c", "echo x > /data/g")
        self.assertNotEqual(write.returncode, 0, describe(write))
        self.assertIn("Read-only file system", write.stderr)
        self.assertFalse(os.path.exists(os.path.join(host, "g")))
        # --rm removed every one of them.
        self.assertEqual(ok(self.farm("ps", "-aq")).stdout.split(), before)

    def test_two_containers_publish_two_ports(self):
        ports = free_ports(2)
        ids = []
        try:
            for port in ports:
                run = ok(self.farm("run", "-d", "-p", f"{port}:80",
                                   "webapp:1.0"))
                ids.append(run.stdout.strip())
            # A file only one container has shows which one answers where.
            for i, port in enumerate(ports):
                self.assertIn(PAGE, wait_for(port, PAGE), f"port {port}")
                ok(self.farm("exec", ids[i], "sh", "-c",
                             f"echo c{i} > {HTML}/who.txt"))
            for i, port in enumerate(ports):
                self.assertEqual(get(port, "/who.txt").strip(), f"c{i}")
            taken = self.farm("run", "-d", "-p", f"{ports[0]}:80",
                              "webapp:1.0")
            self.assertEqual(taken.returncode, 125, describe(taken))
            self.assertIn("port is already allocated", taken.stderr)
            self.assertIn(PAGE, get(ports[0]))
        finally:
            if ids:
                ok(self.farm("rm", "-f", *ids))


class ServerKilledTest(LocalFarmCase):
    WEBAPP = True

    def test_server_killed_mid_build_fails_it_and_is_replaced(self):
        ctx = self.context("slow",
                           "FROM busybox\nRUN echo started && sleep 20\n")
        err_path = os.path.join(self.tmp, "slow.err")
        with open(err_path, "w") as err, open(os.devnull, "w") as out:
            proc = subprocess.Popen(
                self.command("build", "--progress", "plain", "-t", "slow:1",
                             ctx),
                stdout=out, stderr=err, env=ENV, stdin=subprocess.DEVNULL)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())

        def progress():
            with open(err_path) as f:
                return f.read()

        # Kill once the RUN prints (its log line "#N 0.012 started"), or
        # 3 s after its step header if logs come later.
        deadline, header = time.monotonic() + 60, None
        while not re.search(r"^#\d+ [\d.]+ started$", progress(), re.M):
            now = time.monotonic()
            if header is None and "RUN echo started" in progress():
                header = now
            if header is not None and now - header > 3:
                break
            self.assertIsNone(proc.poll(), progress())
            self.assertLess(now, deadline, progress())
            time.sleep(0.1)
        pid = self.server_pid()
        os.kill(pid, signal.SIGKILL)

        try:
            code = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.fail("the build hung after its server was killed:\n"
                      + progress())
        self.assertNotEqual(code, 0, progress())
        lines = [line for line in progress().splitlines() if line.strip()]
        self.assertTrue(lines, "nothing on stderr")
        # The last word is an error, not a progress line ("#N ...").
        self.assertNotRegex(lines[-1], r"^#\d+ ", progress())

        # The next commands start a new server on the same root.
        images = self.images()
        self.assertIn("busybox:latest", images)
        self.assertIn("webapp:1.0", images)
        ok(self.build("after", "FROM busybox\nRUN echo after > /after\n",
                      "-t", "after:1"))
        run = ok(self.farm("run", "--rm", "webapp:1.0", "echo", "ok"))
        self.assertEqual(run.stdout.strip(), "ok")
        self.assertNotEqual(self.server_pid(), pid)


class IdleExitTest(LocalFarmCase):
    def test_server_exits_when_idle_after_a_build_and_comes_back(self):
        # The server's own worker keeps a stream open; it must not keep the
        # server alive. The idle time is the starting command's: stop the
        # server setUpClass started, so that this build starts one.
        ok(self.farm("server", "stop"))
        env = dict(ENV, FARM_SERVER_IDLE_SECONDS="1")
        built = subprocess.run(
            self.command("build", "-q", self.context(
                "idle", "FROM busybox\nRUN echo idle > /i\n")),
            capture_output=True, text=True, timeout=300, env=env,
            stdin=subprocess.DEVNULL)
        self.assertEqual(built.returncode, 0, describe(built))
        status = self.command("server", "status")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if subprocess.run(status, capture_output=True, env=env).returncode:
                break
            time.sleep(0.2)
        self.assertEqual(
            subprocess.run(status, capture_output=True, text=True,
                           env=env).stdout.strip(), "not running")
        self.assertFalse(os.path.exists(os.path.join(self.root, "run",
                                                     "farm.sock")))
        # Nothing of the build worker is left either, and the next command
        # starts a server again.
        self.assertEqual([mp for mp in mount_points()
                          if mp.startswith(self.root + "/")], [])
        self.assertIn("busybox:latest", self.images())


if __name__ == "__main__":
    unittest.main(verbosity=2)
