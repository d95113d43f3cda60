"""Issue 17: how long a scheduler failover takes, from the kill of the
leader to the new leader dispatching. Two farm-schedulers over a 3-member
etcd on loopback (`--leader-lease-seconds 5`, the default), one farm-cache,
two workers and `farm --remote A,B`, as //tests/scale:failover_test stands
them up. Each run starts a fresh build whose RUN sleeps 30 s and, once the
RUN has printed, stops the leader in one of two ways:

- kill -9: the standby waits out the leader's lease (5 s) before it leads;
- SIGTERM: the leader resigns at once.

Two figures per run, both from the signal:
- listening: the standby accepts a TCP connection (polled every 10 ms);
- dispatching: the STEP_STARTED of that RUN, sent again by the worker that
  runs the resumed job, as the client's `--progress json` shows it. Its time
  is the worker's stamp (when it started the RUN), not its arrival at the
  client, which also waits for the client's re-attach. The new leader can
  dispatch only once a worker has found it, so this includes the workers'
  reconnection; it exceeds the dispatch itself by the job's FROM step
  (milliseconds).

Each build is then followed to its end (30 s more) and must succeed. A
client that gives up re-attaching (five attempts over about 15 s) is
counted and its run has no dispatching figure; the resumed build is still
awaited (until its journal entry in etcd goes) before the next run.

    bazel run //bench:failover_bench [-- --runs N]
"""

import itertools
import os
import signal
import statistics
import subprocess
import sys
import time

import harness

# tests/scale exports only cache_nodes.py to other packages, so its helpers
# are imported from the checkout (`bazel run` names it) rather than runfiles.
sys.path.insert(0, os.path.join(harness.source_root(), "tests", "scale"))
from cache_nodes import CacheNodes  # noqa: E402
from cluster import wait_for  # noqa: E402
from etcd_cluster import EtcdCluster  # noqa: E402
from scheduler_group import GroupCluster, SchedulerGroup  # noqa: E402

LEADER_LEASE_SECONDS = 5  # farm-scheduler's default
RUN = "echo started {n}; sleep 30"
CASES = (("kill -9", signal.SIGKILL), ("SIGTERM", signal.SIGTERM))
FIGURES = ("standby listening", "new leader dispatching")


def open_group(run):
    """etcd, one farm-cache, two schedulers and two workers, busybox loaded:
    returns (etcd, group, cluster)."""
    os.environ["TEST_TMPDIR"] = run.work  # where Cluster keeps its roots
    etcd = EtcdCluster(run.work)
    run.at_exit(etcd.close)
    cache = CacheNodes(run.args.farm_cache, os.path.join(run.work, "cache"),
                       1, None, None)
    run.at_exit(cache.close)
    group = SchedulerGroup(run.args.scheduler, run.work, 2, etcd.urls,
                           cache.addresses[0],
                           lease_seconds=LEADER_LEASE_SECONDS)
    run.at_exit(group.close)
    cluster = GroupCluster(group, run.args.farm, run.args.scheduler,
                           run.args.worker, workers=2)
    run.at_exit(cluster.close)
    cluster.run("load", "-i", run.base_image())
    return etcd, group, cluster


def failover(etcd, group, cluster, sig, n):
    """One fresh build, its leader stopped with `sig` during the RUN:
    seconds from the signal to the standby listening and to the resumed
    RUN starting again (None when the client gave up re-attaching)."""
    text = "RUN " + RUN.format(n=n)
    context = cluster.context(f"failover-{n}", f"FROM busybox\n{text}\n")
    build = cluster.start_build(context, "-t", f"failover:{n}")
    build.wait_for_event(lambda e: e.get("text") == f"started {n}")
    old = group.leader()
    new = 1 - old
    signalled = time.time()
    group.procs[old].send_signal(sig)
    deadline = signalled + 60
    while not group.listening(new):
        if time.time() > deadline:
            raise RuntimeError("the standby did not lead:\n" + group.logs())
        time.sleep(0.01)
    listening = time.time() - signalled
    try:
        again = build.wait_for_event(
            lambda e: e["kind"] == "STEP_STARTED" and e.get("text") == text
            and e["timestamp_unix_nanos"] > signalled * 1e9, timeout=60)
        dispatching = again["timestamp_unix_nanos"] / 1e9 - signalled
    except AssertionError:  # the client exited without it
        dispatching = None
    group.procs[old].wait(timeout=30)
    group.start(old)  # back as the standby
    build.wait(timeout=120)
    result = build.result or {}
    gave_up = "could not re-attach" in result.get("error", "")
    if not gave_up and (dispatching is None or not result.get("ok")):
        raise RuntimeError("the resumed build failed:\n" + build.output() +
                           "\n" + cluster.dump_logs())
    wait_for(lambda: not etcd.keys("/farm/builds/"), timeout=120,
             what="the resumed build to end")
    return listening, dispatching


class Table:
    """case | median | min | max, in seconds; stands in for harness.Report."""

    def __init__(self, title):
        self.title = title
        self.rows = []
        self.notes = []

    def note(self, text):
        self.notes.append(text)

    def render(self):
        out = [f"### {self.title}", "",
               "| case | median (s) | min (s) | max (s) | n |",
               "|---|---|---|---|---|"]
        for case, seconds in self.rows:
            if not seconds:
                out.append(f"| {case} | n/a | n/a | n/a | 0 |")
                continue
            out.append(f"| {case} | {statistics.median(seconds):.2f} | "
                       f"{min(seconds):.2f} | {max(seconds):.2f} | "
                       f"{len(seconds)} |")
        out.append("")
        out.extend(f"- {n}" for n in self.notes)
        return "\n".join(out) + "\n"


def commit():
    proc = subprocess.run(["git", "rev-parse", "--short", "HEAD"],
                          cwd=harness.source_root(), capture_output=True,
                          text=True)
    return proc.stdout.strip() or "unknown"


def utc(seconds):
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(seconds))


def main():
    p = harness.parser(__doc__, runs=5)
    p.add_argument("--farm-cache", default=os.path.join(
        harness.source_root(), "bazel-bin", "cache", "farm-cache"))
    args = harness.parse(p)
    args.farm_cache = os.path.abspath(args.farm_cache)
    started, load = time.time(), os.getloadavg()[0]
    title = (f"Scheduler failover: seconds from stopping the leader "
             f"({args.runs} runs a case, --leader-lease-seconds "
             f"{LEADER_LEASE_SECONDS})")
    with harness.Run(args, "farm-bench-failover-", title) as run:
        run.report = Table(title)
        run.needs_binfmt = True  # its warning is about Docker, not run here
        farm = open_group(run)
        seconds = {(case, f): [] for case, _ in CASES for f in FIGURES}
        gave_up = {case: 0 for case, _ in CASES}
        numbers = itertools.count()

        def step(case, sig):
            def measure(i):
                figures = failover(*farm, sig, next(numbers))
                if i < 0:
                    return
                gave_up[case] += figures[1] is None
                for figure, s in zip(FIGURES, figures):
                    if s is not None:
                        seconds[(case, figure)].append(s)
            return measure

        harness.interleave(args.runs, [step(c, s) for c, s in CASES],
                           warmup=args.warmup)
        run.report.rows = [(f"{case}: {figure}", s)
                           for (case, figure), s in seconds.items()]
        run.report.note(
            f"`failover_bench --runs {args.runs}`, {utc(started)} to "
            f"{utc(time.time())}, load average {load:.2f} → "
            f"{os.getloadavg()[0]:.2f}, commit {commit()}, binfmt_misc "
            f"{'enabled' if harness.binfmt_enabled() else 'disabled'}.")
        for case, count in gave_up.items():
            if count:
                run.report.note(
                    f"{case}: in {count} of {args.runs} runs the client gave "
                    "up re-attaching, so that run has no dispatching figure.")
        run.report.note(
            "Dispatching: the worker's stamp on the resumed RUN's "
            "STEP_STARTED (the job's FROM step comes first). Cases alternate; "
            "each run is a fresh build of `RUN " + RUN.format(n="N") + "`.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
