"""Issues 5 and 9: a fully cached remote rebuild of examples/web-app. Two
farms run on loopback, each one farm-scheduler and one farm-worker: one in
plaintext, one as a shared farm runs (TLS with client certificates, and a
token), and `farm --remote ADDR build` is timed against each from process
start to exit, next to `docker build` with a warm BuildKit cache. Targets:
under 100 ms, and at least 3x faster than Docker, on both farms. Then the
cost of the TLS handshake of one `farm` command: `farm images` (one unary
call on a fresh connection) against each farm.

    bazel run //bench:remote_rebuild_bench [-- --runs N --no-docker]
"""

import os
import subprocess
import sys

import harness
import warm_rebuild
from cluster import Cluster


def _start(run, base, pki=None):
    os.environ["TEST_TMPDIR"] = run.work  # where Cluster keeps its roots
    args = run.args
    cluster = Cluster(args.farm, args.scheduler, args.worker, workers=1,
                      lease_seconds=10, pki=pki)
    run.at_exit(cluster.close)
    cluster.run("load", "-i", base, who="a" if pki else "admin")

    def note_counters():
        stats = cluster.stats()
        run.report.note(f"{'TLS' if pki else 'plaintext'} scheduler's counters "
                        f"after the run: {stats.get('fully_cached_builds', 0)} "
                        f"fully cached builds, "
                        f"{stats.get('jobs_dispatched', 0)} job(s) dispatched "
                        "in all (the first build's).")

    run.at_exit(note_counters)  # runs before the cluster stops
    return cluster


def open_clusters(run, base, env):
    plain = _start(run, base)
    pki = os.path.join(run.work, "pki")
    subprocess.run([run.args.make_pki, pki], check=True,
                   stdout=subprocess.DEVNULL)
    secure = _start(run, base, pki)
    tls_env = dict(env)
    tls_env["FARM_TLS_CA"] = secure.pki_file("ca.pem")
    tls_env["FARM_TOKEN"] = secure.token("a")

    def handshake_cost():
        samples = {"plaintext": harness.Samples(),
                   "TLS + token": harness.Samples()}
        sides = [(plain, env, "plaintext"), (secure, tls_env, "TLS + token")]

        def step(cluster, side_env, label):
            def one(i):
                ms, _ = harness.timed([run.args.farm, "--remote",
                                       cluster.address, "images"],
                                      env=side_env)
                if i >= 0:
                    samples[label].add(ms)
            return one

        harness.interleave(run.args.runs, [step(*side) for side in sides],
                           warmup=5)
        plain_ms = samples["plaintext"].median()
        tls_ms = samples["TLS + token"].median()
        run.report.add("`farm images`, one call on a new connection: "
                       "plaintext / TLS + token (median)",
                       f"{harness.format_ms(plain_ms)} / "
                       f"{harness.format_ms(tls_ms)}", "")
        run.report.add("TLS handshake and token check, per command",
                       harness.format_ms(tls_ms - plain_ms), "")

    run.at_exit(handshake_cost)  # runs before the clusters stop
    return [("plaintext", [run.args.farm, "--remote", plain.address], env),
            ("TLS + token", [run.args.farm, "--remote", secure.address],
             tls_env)]


if __name__ == "__main__":
    sys.exit(warm_rebuild.main(
        __doc__, "web-app", "bench/web-app:latest",
        "Fully cached remote rebuild of examples/web-app "
        "(farm-scheduler + 1 farm-worker on 127.0.0.1, plaintext and TLS)",
        open_clusters, max_farm_ms=100))
