"""Many `farm build --progress json` runs at once, each bounded in time, for
tests that judge how builds ended rather than follow one: every line the
client prints is kept with the time it arrived, so that its notices can be
matched with the farm's logs afterwards."""

import concurrent.futures
import dataclasses
import json
import re
import subprocess
import time

from cluster import BuildRun


@dataclasses.dataclass
class BuildOutcome:
    name: str  # what the caller calls the build (its Dockerfile)
    tag: str
    code: int = None  # the client's exit code
    result: dict = None  # its result line
    output: str = ""
    timed_out: bool = False
    stamps: list = dataclasses.field(default_factory=list)  # (time, line)

    @property
    def ok(self):
        return self.code == 0 and bool(self.result) and self.result["ok"]

    def reason(self, raw=False):
        """Why it failed; unless `raw`, without the step, ids, digests,
        addresses, numbers and gRPC's detail (what follows "; last error"
        or "attempts: "), so that failures of one cause group together."""
        if self.timed_out:
            return "timed out"
        text = (self.result or {}).get("error") or f"exit {self.code}"
        if raw:
            return text
        text = re.sub(r"^Dockerfile:\d+: [^:]*: ", "a step: ", text)
        text = re.sub(r"sha256:[0-9a-f]+|[0-9a-f]{16,}|127\.0\.0\.1:\d+", "…",
                      text)
        text = re.sub(r"(; last error|(?<=attempts): ).*", "", text)
        return re.sub(r"\d+", "N", text)[:120]

    def notices(self):
        """The INFO events the client printed (re-attaching, resumed...),
        each with its local time to the millisecond."""
        out = []
        for at, raw in sorted(self.stamps, key=lambda stamp: stamp[0]):
            try:
                item = json.loads(raw)
            except ValueError:
                continue
            if item.get("type") == "event" and item.get("kind") == "INFO":
                clock = time.strftime("%H:%M:%S", time.localtime(at))
                out.append(f"{clock}.{int(at * 1000) % 1000:03d} "
                           f"{item['text']}")
        return out


class _StampedLines:
    """A pipe's lines as BuildRun reads them, each noted with its time."""

    def __init__(self, pipe, stamps):
        self.pipe, self.stamps = pipe, stamps

    def __iter__(self):
        for raw in self.pipe:
            self.stamps.append((time.time(), raw))
            yield raw

    def close(self):
        self.pipe.close()


def _build(cluster, job, timeout, deadline, after_failure):
    name, context, tag, build_args = job
    outcome = BuildOutcome(name, tag)
    left = min(timeout, deadline - time.time())
    if left <= 0:
        outcome.timed_out = True
        return outcome
    args = ["-t", tag]
    for arg in build_args:
        args += ["--build-arg", arg]
    proc = subprocess.Popen(
        [cluster.farm, "--remote", cluster.address, "build", "--progress",
         "json", *args, context],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cluster.env())
    proc.stdout = _StampedLines(proc.stdout, outcome.stamps)
    proc.stderr = _StampedLines(proc.stderr, outcome.stamps)
    run = BuildRun(proc)
    try:
        outcome.code = run.wait(timeout=left)
    except subprocess.TimeoutExpired:
        outcome.timed_out = True
        proc.kill()
        outcome.code = run.wait()
    outcome.result, outcome.output = run.result, run.output()
    proc.stdout.close()
    proc.stderr.close()
    if not outcome.ok:
        time.sleep(max(0, min(after_failure, deadline - time.time())))
    return outcome


def run_builds(cluster, jobs, concurrency, timeout, deadline,
               after_failure=0):
    """Runs (name, context, tag, build args) jobs through `cluster`
    (tests/distributed/cluster.py), `concurrency` at a time, and returns
    their BuildOutcomes in order. Each gets `timeout` seconds and none runs
    past `deadline` (a time.time()): the client is killed and the outcome
    marked timed out; jobs not started by then are marked so too. A slot
    whose build failed waits `after_failure` seconds before its next one,
    as a CI queue would, rather than spend every job while the farm is
    unreachable."""
    def build(job):
        return _build(cluster, job, timeout, deadline, after_failure)

    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(build, jobs))
