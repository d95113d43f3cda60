"""Issue 17's chaos test: random kills of cache nodes, schedulers and workers
during many builds, in a bounded time. Every build either succeeds with
the same image as a calm run, or fails with a clear reason. Nothing that
a stored image needs is lost.

The farm: Swift's s3api, three farm-cache nodes over it, two
farm-schedulers over a 3-member etcd with `--cache A,B,C`, and three
workers (1, 2 and 1 slots). Each Dockerfile is built once in calm. Then
CHAOS_BUILDS builds (default 12) run, CHAOS_CONCURRENCY (3) at a time,
while tests/scale/chaos_monkey.py kills a process every 1.5 to 4 s. A
slot whose build failed waits 3 s before its next, so that a failover
does not use up the jobs. The seed is printed; CHAOS_SEED replays it.

What "the same image" means here. Every build passes
SOURCE_DATE_EPOCH=0, so layer mtimes and history times are fixed, and a
build arg SALT that is new for each build. Three of the Dockerfiles
declare SALT in a first stage, which writes it to a file and then sleeps.
That stage misses the cache every time: a RUN's key covers every ARG it
can see. Its layer is new, so it is uploaded through the cache nodes
while they are being killed. The final stage copies only the
deterministic files of that stage (`COPY --from`). Its key covers the
first stage's diff_ids, so it is run again too. Its bytes, and so the
config and the manifest, must equal the calm run's. The fourth
Dockerfile ignores SALT, so the cache answers it: the build plans, looks
up action results on nodes that come and go, and stores and tags the
image in etcd across failovers. `--no-cache` would test less. A RUN would
run again with the same key, so no new blob would cross the cache tier.

The checks. Every build ends before its own timeout and the deadline. A
build that succeeded has the calm run's image id and manifest digest. A
build that failed exited with code 1 and printed a result with an error
and its code; a signal or a missing result counts as a crash. No farm
process exits by itself, except a scheduler that lost its lease (exit 3),
and every one that is asked to stop (SIGTERM) exits cleanly. Once the
builds have ended, the build journal in etcd is empty. Afterwards
everything is started again, every cache node with an empty disk, and
the leader hands over (SIGTERM). The new leader lists every tag of a
build that succeeded, the calm run's included. `farm save` of each tag
gives the calm run's archive: every file byte for byte, except the tag
names in manifest.json and `repositories`. The farm's answer must also
match what it did: a build it reported as failed must not have its tag
stored. The exception is a client that gave up re-attaching, which
cannot know. Every problem is listed before the test fails, with the
client's notices and their times, so that they can be matched with the
farm's logs.

The full run, 100 builds (158 s in all on two cores, 2026-12-06; its
deadline is 530 s of builds):
  bazel test //tests/scale:chaos_test --test_env=CHAOS_BUILDS=100 \\
      --test_timeout=1200 --test_output=streamed
Replay a seed: add --test_env=CHAOS_SEED=<seed>."""

import collections
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "distributed"))
sys.path.insert(0, os.path.join(HERE, "..", "s3"))
sys.path.insert(0, HERE)
from archive_fingerprint import archive_fingerprint  # noqa: E402
from build_runs import run_builds  # noqa: E402
from cache_nodes import CacheNodes  # noqa: E402
from chaos_monkey import ChaosMonkey  # noqa: E402
from cluster import wait_for  # noqa: E402
from etcd_cluster import EtcdCluster  # noqa: E402
from scheduler_group import GroupCluster, SchedulerGroup  # noqa: E402
from swift_s3 import SwiftS3  # noqa: E402

FARM, SCHEDULER, WORKER, MAKE_IMAGE, MAKE_PKI = (
    os.path.abspath(p) for p in sys.argv[1:6])
FARM_CACHE = os.path.abspath(os.environ["FARM_CACHE"])
del sys.argv[1:6]

BUILDS = int(os.environ.get("CHAOS_BUILDS", "12"))
CONCURRENCY = int(os.environ.get("CHAOS_CONCURRENCY", "3"))
SEED = int(os.environ.get("CHAOS_SEED") or
           random.SystemRandom().randrange(1 << 32))
# One build's bound leaves room for a lapsed leader lease, a client's
# re-attach backoff, and a worker that keeps its jobs for 30 s for the
# next leader to adopt.
BUILD_TIMEOUT = 90
DEADLINE = 30 + 5 * BUILDS  # seconds for all of them: 90 for 12
AFTER_FAILURE = 3  # seconds a slot waits after a failed build
SAVE_TIMEOUT = 30
STOP_TIMEOUT = 20  # for a process asked to stop with SIGTERM
WORKER_SLOTS = {"w1": 1, "w2": 2, "w3": 1}

# Three read SALT in a first stage that sleeps, so kills land while it runs,
# and copy only its fixed files on; "cached" ignores SALT.
DOCKERFILES = {
    "numbers": """
FROM busybox AS work
ARG SALT
RUN echo "$SALT" > /salt && sleep 2 && mkdir /out && seq 1 20000 > /out/numbers
RUN sed 's/$/ squared/' /out/numbers > /out/lines
FROM busybox
COPY --from=work /out /data
RUN wc -l /data/numbers > /data/count
""",
    # Its first stage's layer is over 1 MiB: a node that dies while it is
    # written makes the worker put it again.
    "big": """
FROM busybox AS work
ARG SALT
RUN echo "$SALT" > /salt && sleep 1 && mkdir /out && \\
    yes "a line of the big file" | head -c 1500000 > /out/big
FROM busybox
COPY --from=work /out/big /big
RUN sleep 1 && md5sum /big > /big.md5
""",
    "fanout": """
FROM busybox AS left
ARG SALT
RUN echo "$SALT" > /salt && sleep 3 && echo left > /left
FROM busybox AS right
ARG SALT
RUN echo "$SALT" > /salt && sleep 2 && echo right > /right
FROM busybox
COPY --from=left /left /left
COPY --from=right /right /right
""",
    "cached": """
FROM busybox
RUN sleep 1 && for i in $(seq 1 300); do echo "cached line $i"; done > /cached
RUN echo done > /done
""",
}


class ChaosTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="farm-chaos-",
                                   dir=os.environ.get("TEST_TMPDIR"))
        cls.swift = SwiftS3(os.path.join(cls.dir, "swift"))
        cls.swift.start()
        cls.swift.make_bucket("farm")
        cls.etcd = EtcdCluster(cls.dir)
        cls.nodes = CacheNodes(FARM_CACHE, cls.dir, 3, cls.swift, "farm")
        cls.group = SchedulerGroup(SCHEDULER, cls.dir, 2, cls.etcd.urls,
                                   ",".join(cls.nodes.addresses))
        cls.cluster = GroupCluster(cls.group, FARM, SCHEDULER, WORKER,
                                   workers=0)
        for worker_id, slots in WORKER_SLOTS.items():
            cls.cluster.start_worker(worker_id, slots=slots)
        cls.cluster.wait_workers(len(WORKER_SLOTS))
        image = os.path.join(cls.cluster.dir, "busybox.tar")
        subprocess.run([MAKE_IMAGE, image], check=True)
        cls.cluster.run("load", "-i", image)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()
        cls.group.close()
        cls.nodes.close()
        cls.etcd.close()
        cls.swift.stop()

    def logs(self):
        out = [self.cluster.dump_logs(), self.etcd.logs()]
        for i in range(len(self.nodes.procs)):
            with open(self.nodes.log(i), "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            out.append(f"--- cache-{i}.log")
            out.extend(lines[-20:])
        return "\n".join(out)

    def jobs(self, names, tag, salt):
        """run_builds jobs: one build of each of `names`, the i-th tagged
        tag(name, i) with SALT salt(i)."""
        return [(name, self.cluster.context(name, DOCKERFILES[name]),
                 tag(name, i), ["SOURCE_DATE_EPOCH=0", f"SALT={salt(i)}"])
                for i, name in enumerate(names)]

    def save(self, tag):
        """archive_fingerprint of `farm save TAG`; AssertionError if the
        save fails, subprocess.TimeoutExpired if it hangs."""
        path = os.path.join(self.dir, "saved.tar")
        self.cluster.run("save", "-o", path, tag, timeout=SAVE_TIMEOUT)
        try:
            return archive_fingerprint(path)
        finally:
            os.remove(path)

    def calm_run(self):
        """Each Dockerfile built once without kills: name -> (image id,
        manifest digest, archive fingerprint)."""
        jobs = self.jobs(sorted(DOCKERFILES), lambda name, i: calm_tag(name),
                         lambda i: "calm")
        outcomes = run_builds(self.cluster, jobs, len(jobs), BUILD_TIMEOUT,
                              time.time() + BUILD_TIMEOUT)
        calm = {}
        for outcome in outcomes:
            self.assertTrue(outcome.ok, outcome.output + "\n" + self.logs())
            calm[outcome.name] = (outcome.result["image_id"],
                                  outcome.result["manifest_digest"],
                                  self.save(outcome.tag)[0])
        return calm

    def chaos_run(self, monkey):
        names = sorted(DOCKERFILES)
        jobs = self.jobs([names[i % len(names)] for i in range(BUILDS)],
                         lambda name, i: f"chaos-{name}:{i}",
                         lambda i: f"chaos-{SEED}-{i}")
        monkey.start()
        try:
            return run_builds(self.cluster, jobs, CONCURRENCY, BUILD_TIMEOUT,
                              time.time() + DEADLINE, AFTER_FAILURE)
        finally:
            monkey.stop()

    def stored_problems(self, tag, calm, tags):
        """What is wrong with the stored image `tag`, built as calm is;
        `tags` is the listing, or None if there is none."""
        image_id, _, fingerprint = calm
        if tags is not None and tag not in tags:
            return [f"{tag}: built but not listed"]
        if tags is not None and tags[tag] != image_id:
            return [f"{tag}: listed as {tags[tag]}, built as {image_id}"]
        try:
            saved = self.save(tag)
        except (AssertionError, subprocess.TimeoutExpired) as e:
            return [f"{tag}: {e}"]
        if saved != (fingerprint, [tag]):
            return [f"{tag}: saved archive differs from the calm run's: "
                    f"{saved}, calm {fingerprint}"]
        return []

    def hand_over(self):
        """Every cache node back empty, and the leader resigns: what follows
        reads the image index from etcd and every blob from the bucket.
        Returns what went wrong."""
        self.nodes.restart_all_empty()
        leader = self.group.leader()
        problems = stop_problems("handing over", [
            (f"scheduler {leader}", self.group.procs[leader])])
        self.group.start(leader)
        self.group.leader(other_than=leader)
        return problems

    def listed_tags(self):
        """Tag -> full image id, as the leader lists them, retried while
        the nodes that came back are still skipped; None and why, if the
        listing keeps failing."""
        deadline = time.time() + 20
        while True:
            listing = self.cluster.run("images", "--no-trunc", check=False,
                                       timeout=SAVE_TIMEOUT)
            if listing.returncode == 0 or time.time() > deadline:
                break
            time.sleep(0.5)
        if listing.returncode != 0:
            return None, [f"farm images failed ({listing.returncode}): "
                          f"{listing.stderr.strip()}"]
        tags = {}
        for line in listing.stdout.splitlines()[1:]:
            fields = line.split()
            if len(fields) >= 3:
                tags[f"{fields[0].rsplit('/', 1)[-1]}:{fields[1]}"] = fields[2]
        return tags, []

    def farm_processes(self):
        """(name, process) of every farm process, in the order to stop
        them: workers drain through a scheduler, schedulers read the
        caches."""
        return ([(f"worker {key}", p)
                 for key, p in self.cluster.workers.items()] +
                [(f"scheduler {i}", p) for i, p in enumerate(self.group.procs)]
                + [(f"cache {i}", p) for i, p in enumerate(self.nodes.procs)])

    def chaos_problems(self, outcomes, calm, monkey):
        """What went wrong while the monkey ran: how builds ended, what
        exited, and what the journal kept."""
        problems = [p for o in outcomes for p in outcome_problems(o, calm)]
        problems += [f"during the chaos: {crash}" for crash in monkey.crashes]
        problems += [f"etcd {name} exited with {proc.returncode}"
                     for name, proc in zip(self.etcd.names, self.etcd.procs)
                     if proc.poll() is not None]
        if not any(o.ok for o in outcomes):
            problems.append("no build succeeded")
        # A build's record leaves the journal when the build ends, resumed
        # or not.
        try:
            wait_for(lambda: not self.etcd.keys("/farm/builds/"), timeout=30,
                     what="an empty build journal")
        except AssertionError as e:
            problems.append(f"{e}: {self.etcd.keys('/farm/builds/')}")
        return problems

    def stored_images_problems(self, outcomes, calm):
        """After a hand-over to empty cache nodes: what is wrong with the
        images the farm stored, and with what it told the clients."""
        problems = self.hand_over()
        tags, listing_problems = self.listed_tags()
        problems += listing_problems
        for name in sorted(calm):
            problems += self.stored_problems(calm_tag(name), calm[name], tags)
        for outcome in outcomes:
            if outcome.ok:
                problems += self.stored_problems(outcome.tag,
                                                 calm[outcome.name], tags)
            # What the farm answered a client is what it did: a build it
            # failed has stored no image. A client that gave up re-attaching,
            # or that we killed, knows nothing either way.
            elif (outcome.tag in (tags or {}) and not outcome.timed_out and
                  not outcome.reason().startswith("lost the connection")):
                problems.append(f"{outcome.tag}: the client was told "
                                f"\"{outcome.reason(raw=True)}\", yet the "
                                f"farm stored the image")
        return problems

    def test_builds_survive_random_kills(self):
        print(f"chaos seed {SEED} (CHAOS_SEED={SEED} replays it)", flush=True)
        began = time.time()
        calm = self.calm_run()
        monkey = ChaosMonkey(SEED, self.nodes, self.group, self.cluster,
                             WORKER_SLOTS)
        chaos_began = time.time()
        outcomes = self.chaos_run(monkey)
        chaos_took = time.time() - chaos_began
        report(outcomes, monkey)
        print(summary(outcomes, monkey, chaos_took), flush=True)

        self.assertEqual(len(outcomes), BUILDS)
        problems = self.chaos_problems(outcomes, calm, monkey)
        problems += self.stored_images_problems(outcomes, calm)
        problems += stop_problems("at the end", self.farm_processes())
        if problems:
            self.fail(f"problems found: {len(problems)}\n" +
                      "\n".join(problems) + "\n" + self.logs())
        print(f"chaos test: {time.time() - began:.1f} s from the calm run "
              f"to the last check")


def calm_tag(name):
    return f"calm-{name}:1"


def stop_problems(when, named_procs):
    """SIGTERMs each running (name, process) in turn and waits for it to
    exit; returns which did not exit cleanly in STOP_TIMEOUT seconds."""
    problems = []
    for name, proc in named_procs:
        if proc.poll() is not None:
            continue  # the monkey checked how it ended
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            problems.append(f"{when}: {name} did not exit {STOP_TIMEOUT} s "
                            f"after SIGTERM")
            continue
        if code not in (0, -signal.SIGTERM):
            problems.append(f"{when}: {name} exited with {code} after "
                            f"SIGTERM")
    return problems


def outcome_problems(outcome, calm):
    """What is wrong with how a build under chaos ended."""
    where = f"{outcome.tag} (exit {outcome.code})"
    if outcome.timed_out:
        return [f"{where}: did not end in time:\n{outcome.output[-3000:]}"]
    result = outcome.result
    if outcome.ok:
        image_id, manifest, _ = calm[outcome.name]
        if (result["image_id"], result["manifest_digest"]) != (image_id,
                                                                manifest):
            return [f"{where}: built {result['image_id']} "
                    f"{result['manifest_digest']}; the calm run built "
                    f"{image_id} {manifest}"]
        return []
    # A failure is the farm's answer, not a crash of the client.
    if (outcome.code != 1 or not result or result["ok"] or
            not result.get("error", "").strip() or
            not result.get("error_code")):
        return [f"{where}: not a clean failure:\n{outcome.output[-3000:]}"]
    return []


def report(outcomes, monkey):
    """Prints what the monkey did, and each failure with the client's
    notices, to match with the farm's logs."""
    for at, what in monkey.history:
        print(f"  {at:6.1f} s  {what}")
    for outcome in outcomes:
        if outcome.ok:
            continue
        print(f"  {outcome.tag} failed: {outcome.reason(raw=True)}")
        for text in outcome.notices():
            print(f"    {text}")


def summary(outcomes, monkey, took):
    failed = [o for o in outcomes if not o.ok]
    reasons = collections.Counter(o.reason() for o in failed)
    kills = ", ".join(f"{kind} {n}"
                      for kind, n in sorted(monkey.kills.items()))
    grouped = "; ".join(f"{n}x {text}" for text, n in reasons.most_common())
    resumed = sum("resumed by the new leader" in o.output for o in outcomes)
    reattached = sum("re-attaching to build" in o.output for o in outcomes)
    return (f"chaos summary: builds {len(outcomes)}, succeeded "
            f"{len(outcomes) - len(failed)}, failed {len(failed)}"
            f"{' (' + grouped + ')' if grouped else ''}; re-attached "
            f"{reattached}, resumed by a new leader {resumed}; kills: "
            f"{kills or 'none'}; lost leases {monkey.lost_leads}; "
            f"seed {SEED}; {took:.0f} s of chaos")


if __name__ == "__main__":
    unittest.main()
