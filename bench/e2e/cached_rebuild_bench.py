"""Issue 4: a fully cached rebuild of examples/multi-stage on the embedded
farm (`farm --root R build`) against `docker build` with a warm BuildKit
cache, both timed from process start to exit. Target: farm at least 3x
faster.

    bazel run //bench:cached_rebuild_bench [-- --runs N --no-docker]
"""

import os
import sys

import harness
import warm_rebuild


def open_embedded(run, base, env):
    farm = [run.args.farm, "--root", os.path.join(run.work, "farm")]
    harness.run(farm + ["load", "-i", base], env=env)
    return farm


if __name__ == "__main__":
    sys.exit(warm_rebuild.main(
        __doc__, "multi-stage", "bench/multi-stage:latest",
        "Fully cached rebuild of examples/multi-stage (embedded farm)",
        open_embedded))
