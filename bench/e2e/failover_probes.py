"""What failover_bench sees of a scheduler group's failover from outside:
when the standby listens, when it has adopted a running job (`farm stats`),
a build started again until a leader takes it, and how a resumed build's
client lost the build, if it did."""

import itertools
import json
import subprocess
import time

# What a resumed build's client prints when it loses the build, and what
# the report calls it. The build itself goes on in the farm.
LOSSES = (("could not re-attach", "gave up re-attaching"),
          ("is not known to this scheduler",
           "was told on re-attaching that the build is not known"))


def wait_listening(group, i, since, timeout=60):
    """Seconds from `since` until member `i` of `group` accepts a TCP
    connection, polled every 10 ms."""
    while not group.listening(i):
        if time.time() > since + timeout:
            raise RuntimeError("the standby did not lead:\n" + group.logs())
        time.sleep(0.01)
    return time.time() - since


def first_adoption(cluster, address, since, timeout=60):
    """Seconds from `since` until `farm stats` at `address` (one scheduler,
    not the group) first shows jobs_adopted above 0, polled every 50 ms; None
    if that takes over `timeout` s from `since`. The time is the answer's
    arrival."""
    command = [cluster.farm, "--remote", address, "stats"]
    while time.time() < since + timeout:
        proc = subprocess.run(command, capture_output=True, text=True,
                              env=cluster.env())
        if (proc.returncode == 0 and
                int(json.loads(proc.stdout).get("jobs_adopted", 0)) > 0):
            return time.time() - since
        time.sleep(0.05)
    return None


def build_until_led(cluster, context, timeout=60):
    """Builds `context`, started again at once each time it fails for want
    of a leader (none listens, or the one that took it is gone), for up to
    `timeout` s: the finished BuildRun and how often it was started again."""
    deadline = time.time() + timeout
    for retries in itertools.count():
        build = cluster.start_build(context)
        build.wait(timeout=120)
        error = (build.result or {}).get("error", "")
        no_leader = (error.startswith("the farm did not accept the build")
                     or "is not known to this scheduler" in error)
        if not no_leader or time.time() > deadline:
            return build, retries


def lost(build):
    """How the client of a finished `build` lost it (a name from LOSSES), or
    None."""
    error = (build.result or {}).get("error", "")
    return next((what for text, what in LOSSES if text in error), None)


def tag_listed(cluster, name, tag):
    """Whether the leader lists the image `name:tag`, under any registry."""
    for line in cluster.run("images").stdout.splitlines()[1:]:
        fields = line.split()
        if fields[1:2] == [tag] and fields[0].rsplit("/", 1)[-1] == name:
            return True
    return False
