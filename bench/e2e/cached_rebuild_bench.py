"""Issues 4 and 16: a fully cached rebuild of examples/multi-stage on the
embedded farm (`farm --root R build`) against `docker build` with a warm
BuildKit cache, both timed from process start to exit. Target: farm at least
3x faster. Since issue 16 the embedded farm is the root's local server
(client/local): one side finds it running, the other starts it with each
build (the server is stopped, untimed, before each).

    bazel run //bench:cached_rebuild_bench [-- --runs N --no-docker]
"""

import os
import sys

import harness
import warm_rebuild


def open_embedded(run, base, env):
    sides = []
    for label, name in (("server running", "farm"),
                        ("server cold start", "farm-cold")):
        farm = [run.args.farm, "--root", os.path.join(run.work, name)]
        harness.run(farm + ["load", "-i", base], env=env)
        sides.append((label, farm, env))
    cold = sides[1][1]
    sides[1] += (lambda: harness.run(cold + ["server", "stop"], env=env),)
    return sides


if __name__ == "__main__":
    sys.exit(warm_rebuild.main(
        __doc__, "multi-stage", "bench/multi-stage:latest",
        "Fully cached rebuild of examples/multi-stage (embedded farm)",
        open_embedded))
