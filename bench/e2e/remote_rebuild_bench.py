"""Issue 5: a fully cached remote rebuild of examples/web-app. One
farm-scheduler and one farm-worker run on loopback; `farm --remote ADDR
build` is timed from process start to exit, next to `docker build` with a
warm BuildKit cache. Targets: under 100 ms, and at least 3x faster than
Docker.

    bazel run //bench:remote_rebuild_bench [-- --runs N --no-docker]
"""

import os
import sys

import warm_rebuild
from cluster import Cluster


def open_cluster(run, base, env):
    os.environ["TEST_TMPDIR"] = run.work  # where Cluster keeps its roots
    args = run.args
    cluster = Cluster(args.farm, args.scheduler, args.worker, workers=1,
                      lease_seconds=10)
    run.at_exit(cluster.close)
    cluster.run("load", "-i", base)

    def note_counters():
        stats = cluster.stats()
        run.report.note("scheduler counters after the run: "
                        f"{stats.get('fully_cached_builds', 0)} fully cached "
                        f"builds, {stats.get('jobs_dispatched', 0)} job(s) "
                        "dispatched in all (the first build's).")

    run.at_exit(note_counters)  # runs before the cluster stops
    return [args.farm, "--remote", cluster.address]


if __name__ == "__main__":
    sys.exit(warm_rebuild.main(
        __doc__, "web-app", "bench/web-app:latest",
        "Fully cached remote rebuild of examples/web-app "
        "(farm-scheduler + 1 farm-worker on 127.0.0.1)",
        open_cluster, max_farm_ms=100))
