#!/usr/bin/env python3
"""How fast the dashboard's pages are with a farm's worth of history: the
builds page with 1,000 builds listed, and the page of a 200-stage build,
timed in headless Chromium (tests/dashboard/webdriver.py) as a user sees
them: from navigation to the rows or stages drawn, and from a change in the
farm to the page showing it.

    python3 bench/dashboard/page_speed.py --farm F --scheduler S --worker W \
        --busybox-script tests/fixtures/make_busybox_image.sh [--builds 1000]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "distributed"))
sys.path.insert(0, os.path.join(ROOT, "tests", "dashboard"))
from cluster import Cluster  # noqa: E402
from webdriver import WebDriver  # noqa: E402


def wide_dockerfile(stages, nonce):
    """`stages` independent stages and a last one that copies from each."""
    lines = []
    for i in range(stages):
        lines += [f"FROM busybox AS s{i}", f"RUN echo {nonce}-{i} > /out"]
    lines.append("FROM busybox")
    lines += [f"COPY --from=s{i} /out /out{i}" for i in range(stages)]
    return "\n".join(lines) + "\n"


def timed(browser, url, predicate, timeout=120):
    """Seconds from navigating to `url` until `predicate` (JS) holds."""
    start = time.perf_counter()
    browser.get(url)
    browser.wait_for(predicate, timeout=timeout, interval=0.01)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--farm", required=True)
    parser.add_argument("--scheduler", required=True)
    parser.add_argument("--worker", required=True)
    parser.add_argument("--busybox-script", required=True)
    parser.add_argument("--builds", type=int, default=1000)
    parser.add_argument("--stages", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    cluster = Cluster(os.path.abspath(args.farm), os.path.abspath(args.scheduler),
                      os.path.abspath(args.worker), workers=0,
                      scheduler_args=["--http-listen", "127.0.0.1:0",
                                      "--keep-builds", str(args.builds + 100),
                                      "--keep-builds-for", "10h"])
    browser = None
    try:
        url = cluster.scheduler.stdout.readline().decode().split()[-1]
        for worker in ("w1", "w2"):
            cluster.start_worker(worker, slots=4)
        cluster.wait_workers(2)
        image = os.path.join(cluster.dir, "busybox.tar")
        subprocess.run([os.path.abspath(args.busybox_script), image], check=True)
        cluster.run("load", "-i", image)

        # A build of many stages, run once so that its page has a full
        # graph and timeline.
        wide = cluster.context("wide", wide_dockerfile(args.stages, uuid.uuid4().hex))
        started = time.perf_counter()
        run = cluster.build(wide, timeout=1800)
        assert run.result and run.result["ok"], run.output()
        wide_seconds = time.perf_counter() - started
        wide_id = next(json.loads(line)["build_id"] for line in run.lines
                       if '"accepted"' in line)

        # The rest of the history: fully cached builds, four at a time.
        small = cluster.context("small", "FROM busybox\nRUN echo small > /s\n")
        cluster.build(small)
        remaining = [args.builds - 2]
        lock = threading.Lock()

        def builder():
            while True:
                with lock:
                    if remaining[0] <= 0:
                        return
                    remaining[0] -= 1
                cluster.run("build", "-q", small, timeout=120)

        started = time.perf_counter()
        threads = [threading.Thread(target=builder) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        history_seconds = time.perf_counter() - started

        browser = WebDriver()
        rows = f"document.querySelectorAll('#builds tbody tr[data-build-id]').length >= {args.builds}"
        list_loads = [timed(browser, url + "/builds", rows) for _ in range(args.runs)]

        # Update: a new build's row appears on the open list page.
        updates = []
        for _ in range(args.runs):
            browser.get(url + "/builds")
            browser.wait_for(rows, timeout=60, interval=0.01)
            before = set(browser.execute(
                "return [...document.querySelectorAll('#builds tbody tr[data-build-id]')]"
                ".map(r => r.getAttribute('data-build-id'))"))
            started = time.perf_counter()
            run = cluster.start_build(small)
            build_id = None
            while build_id is None:
                with run._lock:
                    for line in run.lines:
                        if '"accepted"' in line:
                            build_id = json.loads(line)["build_id"]
                time.sleep(0.002)
            accepted = time.perf_counter()
            assert build_id not in before
            browser.wait_for(
                f"document.querySelector('#builds tr[data-build-id=\"{build_id}\"]') !== null",
                timeout=30, interval=0.01)
            updates.append(time.perf_counter() - accepted)
            run.wait()

        stages = f"document.querySelectorAll('#stage-graph g.stage').length === {args.stages + 1} && " \
                 f"document.querySelectorAll('#timeline rect.job').length >= {args.stages + 1}"
        build_loads = [timed(browser, f"{url}/builds/{wide_id}", stages)
                       for _ in range(args.runs)]

        load = os.getloadavg()
        report = {
            "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
            "loadavg": [round(x, 2) for x in load],
            "builds_listed": args.builds,
            "stages": args.stages + 1,
            "wide_build_seconds": round(wide_seconds, 1),
            "history_seconds": round(history_seconds, 1),
            "builds_page_load_ms": [round(x * 1000) for x in list_loads],
            "builds_page_update_ms": [round(x * 1000) for x in updates],
            "build_page_load_ms": [round(x * 1000) for x in build_loads],
        }
        for key in ("builds_page_load_ms", "builds_page_update_ms", "build_page_load_ms"):
            report[key.replace("_ms", "_median_ms")] = round(statistics.median(report[key]))
        print(json.dumps(report, indent=2))
    finally:
        if browser is not None:
            browser.quit()
        cluster.close()


if __name__ == "__main__":
    main()
