"""Issue 17: how long a scheduler failover takes, from stopping the leader
to the new leader dispatching. Two farm-schedulers over a 3-member etcd on
loopback (`--leader-lease-seconds 5`, the default), one farm-cache, two
one-slot workers and `farm --remote A,B`, as //tests/scale:failover_test
stands them up. Each run starts a build whose RUN sleeps 30 s and, once the
RUN has printed, stops the leader: with kill -9 the standby waits out the
leader's lease (5 s); on SIGTERM the leader resigns at once. The worker
keeps the RUN going (`--keep-jobs-seconds`, 30) for the new leader to adopt.
Three figures a run, in seconds from the signal:

- standby listening: it accepts a TCP connection (polled every 10 ms).
- running job adopted: `farm stats` on the standby's own address, polled
  every 50 ms once it listens, first shows jobs_adopted above 0. It never
  led, so it counts from 0. The group's address would not do: after
  SIGTERM the old leader may still answer, with the count of its own
  earlier takeover. The time is the answer's arrival: up to one poll and
  one call late.
- new build dispatched: a different build (`RUN echo fresh N`) is started
  with `farm --remote A,B` right after the signal, and again at once each
  time it fails for want of a leader (the retries are counted). The figure
  is the worker's stamp on its RUN's STEP_STARTED, so it includes the free
  worker finding the new leader and the FROM step (both workers unpack
  busybox before the runs).

Each run also checks that the resumed build succeeds. It counts the runs
in which that RUN started again after the signal (a second STEP_STARTED,
on either worker), and those in which the worker that kept it sent its
STEP_DONE: with adoption, the kept run ends the step. A client that loses
the build (it gives up re-attaching after five attempts over about 15 s,
or is told on re-attaching that the build is not known) is counted, and
shows no events after that; the build's tag, stored or not, says whether
the farm finished it anyway. The resumed build is awaited until its
journal entry in etcd goes, before the next run. failover_probes.py
watches the group.

    bazel run //bench:failover_bench [-- --runs N]
"""

import concurrent.futures
import dataclasses
import itertools
import os
import signal
import statistics
import subprocess
import sys
import time

import harness
import progress
from failover_probes import (LOSSES, build_until_led, first_adoption, lost,
                             tag_listed, wait_listening)

# tests/scale exports only cache_nodes.py to other packages, so its helpers
# are imported from the checkout (`bazel run` names it) rather than runfiles.
sys.path.insert(0, os.path.join(harness.source_root(), "tests", "scale"))
from cache_nodes import CacheNodes  # noqa: E402
from cluster import wait_for  # noqa: E402
from etcd_cluster import EtcdCluster  # noqa: E402
from scheduler_group import GroupCluster, SchedulerGroup  # noqa: E402

LEADER_LEASE_SECONDS = 5  # farm-scheduler's default
RUN = "RUN echo started {n}; sleep 30"
FRESH = "RUN echo fresh {n}"
CASES = (("kill -9", signal.SIGKILL), ("SIGTERM", signal.SIGTERM))
FIGURES = ("standby listening", "running job adopted", "new build dispatched")


@dataclasses.dataclass
class Outcome:
    """One run. Figures are seconds from the signal, None if not seen."""
    figures: tuple
    retries: int  # times the new build was started again
    fresh_resumed: bool  # the new build reached the old leader first
    reran: bool  # the resumed build's RUN started again
    kept_finished: bool  # the worker that kept the RUN ended it
    lost: str  # how the resumed build's client lost it (LOSSES), or None
    tagged: bool  # the resumed build's tag was stored


def open_group(run):
    """etcd, one farm-cache, two schedulers and two workers, busybox loaded
    and unpacked on both workers: returns (etcd, group, cluster)."""
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
    # Two builds at once: each of the two one-slot workers takes one.
    primes = [cluster.start_build(cluster.context(
        f"prime-{i}", f"FROM busybox\nRUN echo prime {i}; sleep 1\n"))
        for i in range(2)]
    for prime in primes:
        prime.wait(timeout=120)
        if not (prime.result or {}).get("ok"):
            raise RuntimeError("priming failed:\n" + prime.output())
    return etcd, group, cluster


def farm_logs(cluster, etcd):
    return "\n" + cluster.dump_logs() + "\n" + etcd.logs()


def stop_leader(group, cluster, sig, fresh_context):
    """Stops the leader with `sig` and starts a build of `fresh_context`
    at once: (the signal's time, the seconds to the standby listening and
    to its first adoption, the finished fresh build, how often it was
    started again). The old leader is then started again as the standby."""
    old = group.leader()
    new = 1 - old
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        signalled = time.time()
        group.procs[old].send_signal(sig)
        pending = pool.submit(build_until_led, cluster, fresh_context)
        listening = wait_listening(group, new, signalled)
        adopted = pool.submit(first_adoption, cluster, group.addresses[new],
                              signalled).result()
        fresh, retries = pending.result()
    group.procs[old].wait(timeout=30)
    group.start(old)
    return signalled, listening, adopted, fresh, retries


def failover(etcd, group, cluster, sig, n):
    """One build, its leader stopped with `sig` during the RUN, and a new
    build started at the signal: the run's Outcome."""
    step, fresh_step = RUN.format(n=n), FRESH.format(n=n)
    context = cluster.context(f"failover-{n}", f"FROM busybox\n{step}\n")
    fresh_context = cluster.context(f"fresh-{n}",
                                    f"FROM busybox\n{fresh_step}\n")
    build = cluster.start_build(context, "-t", f"failover:{n}")
    build.wait_for_event(lambda e: e.get("text") == f"started {n}")
    signalled, listening, adopted, fresh, retries = stop_leader(
        group, cluster, sig, fresh_context)
    at = int(signalled * 1e9)
    dispatched = progress.farm_started_after(fresh.events, fresh_step, at)
    if not (fresh.result or {}).get("ok") or not dispatched:
        raise RuntimeError("the new build failed:\n" + fresh.output() +
                           farm_logs(cluster, etcd))
    build.wait(timeout=120)
    if lost(build) is None and not (build.result or {}).get("ok"):
        raise RuntimeError("the resumed build failed:\n" + build.output() +
                           farm_logs(cluster, etcd))
    wait_for(lambda: not etcd.keys("/farm/builds/"), timeout=120,
             what="the resumed build to end")
    keeper = progress.farm_step_workers(build.events, "STEP_STARTED", step)
    return Outcome(
        figures=(listening, adopted, dispatched[0] / 1e9 - signalled),
        retries=retries,
        fresh_resumed="resumed by the new leader" in fresh.output(),
        reran=bool(progress.farm_started_after(build.events, step, at)),
        kept_finished=progress.farm_step_workers(
            build.events, "STEP_DONE", step) == keeper[:1],
        lost=lost(build),
        tagged=tag_listed(cluster, "failover", str(n)))


class Table:
    """case | median | min | max | n, in seconds (for harness.Run)."""

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


def checkout():
    """The checkout's commit, and whether its tracked files differ from it."""
    root = harness.source_root()
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root,
                          capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--"],
                           cwd=root).returncode == 1
    return (head or "unknown") + (" with uncommitted changes" if dirty else "")


def utc(seconds):
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(seconds))


def report(table, outcomes):
    """The rows, and a note a case on what else each run showed."""
    table.rows = [(f"{case}: {figure}", [o.figures[i] for o in runs
                                         if o.figures[i] is not None])
                  for case, runs in outcomes.items()
                  for i, figure in enumerate(FIGURES)]
    for case, runs in outcomes.items():
        retries = ", ".join(str(o.retries) for o in runs)
        losses = "".join(
            f" The client {what} in {sum(o.lost == what for o in runs)} "
            f"(its events end there)."
            for _, what in LOSSES if any(o.lost == what for o in runs))
        table.note(
            f"{case}: the new build was started again {retries} times, and "
            f"reached the old leader first in "
            f"{sum(o.fresh_resumed for o in runs)} of {len(runs)} runs. The "
            f"resumed RUN started again in {sum(o.reran for o in runs)} "
            f"(on either worker), and the worker that kept it ended it in "
            f"{sum(o.kept_finished for o in runs)}; no adoption was seen in "
            f"{sum(o.figures[1] is None for o in runs)}.{losses} The "
            f"resumed build's tag was stored in "
            f"{sum(o.tagged for o in runs)}.")


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
        outcomes = {case: [] for case, _ in CASES}
        numbers = itertools.count()

        def step(case, sig):
            def measure(i):
                outcome = failover(*farm, sig, next(numbers))
                if i >= 0:
                    outcomes[case].append(outcome)
            return measure

        harness.interleave(args.runs, [step(c, s) for c, s in CASES],
                           warmup=args.warmup)
        report(run.report, outcomes)
        run.report.note(
            f"Cases alternate; each run builds `{RUN.format(n='N')}` and, "
            f"from the signal, `{FRESH.format(n='N')}`. "
            f"`failover_bench --runs {args.runs}`, {utc(started)} to "
            f"{utc(time.time())}, load average {load:.2f} → "
            f"{os.getloadavg()[0]:.2f}, checkout {checkout()}, binfmt_misc "
            f"{'enabled' if harness.binfmt_enabled() else 'disabled'}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
