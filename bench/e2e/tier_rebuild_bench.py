"""Issue 17: a fully cached remote rebuild of examples/web-app when the cache
is three farm-cache nodes in front of an S3 bucket (OpenStack Swift's s3api
on loopback), next to today's single farm-cache and Docker's warm BuildKit.
The three-node side runs twice: with the nodes warm, and with every node
restarted empty before each build (untimed), so that every blob and action
result the rebuild needs falls through to the bucket.

    bazel run //bench:tier_rebuild_bench [-- --runs N --no-docker]
"""

import os
import sys

import harness
import warm_rebuild

sys.path.insert(0, os.path.join(harness.REPO, "tests", "s3"))
sys.path.insert(0, os.path.join(harness.REPO, "tests", "scale"))
from cache_nodes import CacheNodes  # noqa: E402
from cluster import Cluster  # noqa: E402
from swift_s3 import SwiftS3  # noqa: E402


def _take(name):
    """Removes --NAME=VALUE from the command line and returns VALUE."""
    for i, arg in enumerate(sys.argv):
        if arg.startswith(f"--{name}="):
            del sys.argv[i]
            return os.path.abspath(arg.split("=", 1)[1])
    raise SystemExit(f"--{name} is required")


FARM_CACHE = _take("farm-cache")


def _cluster(run, base, nodes):
    os.environ["TEST_TMPDIR"] = run.work  # where Cluster keeps its roots
    args = run.args
    cluster = Cluster(args.farm, args.scheduler, args.worker, workers=1,
                      lease_seconds=10,
                      scheduler_args=["--cache", ",".join(nodes.addresses)])
    run.at_exit(cluster.close)
    cluster.run("load", "-i", base)
    return cluster


def open_farms(run, base, env):
    swift = SwiftS3(os.path.join(run.work, "swift"))
    swift.start()
    run.at_exit(swift.stop)
    swift.make_bucket("farm")
    single = CacheNodes(FARM_CACHE, os.path.join(run.work, "single"), 1,
                        None, None)
    run.at_exit(single.close)
    # Two sets of three nodes over the same bucket, each with its own
    # scheduler, so that emptying one set leaves the other warm.
    warm = CacheNodes(FARM_CACHE, os.path.join(run.work, "warm"), 3, swift,
                      "farm")
    run.at_exit(warm.close)
    cold = CacheNodes(FARM_CACHE, os.path.join(run.work, "cold"), 3, swift,
                      "farm")
    run.at_exit(cold.close)
    one = _cluster(run, base, single)
    three_warm = _cluster(run, base, warm)
    three_cold = _cluster(run, base, cold)

    def bucket_reads():
        for label, nodes in (("warm", warm), ("emptied", cold)):
            reads = sum(nodes.metric(i, "farm_cache_object_store_reads_total")
                        for i in range(3))
            run.report.note(f"The {label} nodes read {reads:.0f} blobs from "
                            "the bucket since their last start.")

    run.at_exit(bucket_reads)  # runs before the nodes stop
    return [
        ("one farm-cache (RocksDB)", [run.args.farm, "--remote", one.address],
         env),
        ("three nodes over Swift, warm",
         [run.args.farm, "--remote", three_warm.address], env),
        ("three nodes over Swift, every node empty",
         [run.args.farm, "--remote", three_cold.address], env,
         cold.restart_all_empty),
    ]


if __name__ == "__main__":
    sys.exit(warm_rebuild.main(
        __doc__, "web-app", "bench/web-app:latest",
        "Fully cached remote rebuild of examples/web-app with the cache on "
        "one farm-cache, and on three nodes over an S3 bucket (Swift)",
        open_farms))
