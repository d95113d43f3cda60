"""A throwaway S3 endpoint on loopback for tests: an all-in-one OpenStack Swift
(account, container, object and proxy servers, one device, one replica) with
the s3api middleware in front of tempauth.

Library:  s3 = SwiftS3(workdir); s3.start(); s3.make_bucket("b"); s3.stop()
CLI:      /usr/bin/python3 swift_s3.py serve --dir DIR [--bucket NAME]
          prints one JSON line, then serves until SIGTERM/SIGINT or EOF on
          stdin, so a test that holds the pipe cleans up when it dies (and
          one started with stdin on /dev/null stops at once):
          {"endpoint":"http://127.0.0.1:PORT","access_key":"farm:tester",
           "secret_key":"testing","region":"us-east-1","bucket":NAME or null}

SwiftS3 runs under any Python 3. It spawns one supervisor under
/usr/bin/python3, which imports Debian's swift once, builds the rings with
swift-ring-builder's entry point and forks the four servers: paying for the
imports once instead of five times halves the start-up time on two cores.
"""

import argparse
import atexit
import ctypes
import datetime
import hashlib
import hmac
import http.client
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import traceback
import urllib.parse

SWIFT_PYTHON = "/usr/bin/python3"
ACCESS_KEY = "farm:tester"  # tempauth's account:user is the S3 access key
SECRET_KEY = "testing"
REGION = "us-east-1"
BACKENDS = ("account", "container", "object")
SERVERS = BACKENDS + ("proxy",)
START_ATTEMPTS = 3
READY_TIMEOUT_SECONDS = 30
STOP_GRACE_SECONDS = 2

SWIFT_CONF = """\
[swift-hash]
swift_hash_path_suffix = farm-s3-test
swift_hash_path_prefix = farm-s3-test

[storage-policy:0]
name = Policy-0
default = yes
"""

# workers = 0 keeps each server one process, so one kill stops it; a short
# bind_timeout turns a port that is somehow taken into a quick exit.
COMMON_CONF = """\
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = {port}
bind_timeout = 2
workers = 0
user = root
swift_dir = {etc}
devices = {devices}
mount_check = false
log_level = INFO
"""

BACKEND_CONF = """\
[pipeline:main]
pipeline = healthcheck {name}-server

[app:{name}-server]
use = egg:swift#{name}

[filter:healthcheck]
use = egg:swift#healthcheck
"""

# s3api turns S3 requests into Swift ones and hands tempauth the signature to
# check, so it must sit before tempauth; slo after it enables multipart
# uploads. The proxy would add copy, dlo and versioned_writes itself if they
# were missing. tempauth refuses to work without a cache object in the
# environment, but a dead memcache is fine for S3: port 0 refuses every
# connection, so no memcached (nor anyone else's) is involved; and "set"
# (which beats [DEFAULT]) log_level keeps it from logging that every time.
PROXY_CONF = """\
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache \
listing_formats s3api tempauth copy slo dlo versioned_writes proxy-logging \
proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:catch_errors]
use = egg:swift#catch_errors

[filter:gatekeeper]
use = egg:swift#gatekeeper

[filter:healthcheck]
use = egg:swift#healthcheck

[filter:proxy-logging]
use = egg:swift#proxy_logging

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:0
set log_level = CRITICAL

[filter:listing_formats]
use = egg:swift#listing_formats

[filter:s3api]
use = egg:swift#s3api
location = {region}

[filter:tempauth]
use = egg:swift#tempauth
user_{account}_{user} = {secret} .admin

[filter:copy]
use = egg:swift#copy

[filter:slo]
use = egg:swift#slo

[filter:dlo]
use = egg:swift#dlo

[filter:versioned_writes]
use = egg:swift#versioned_writes
"""

# What the servers' paste pipelines load, imported once before forking.
SWIFT_MODULES = [
    "swift.account.server", "swift.container.server", "swift.obj.server",
    "swift.proxy.server", "swift.cli.ringbuilder",
] + ["swift.common.middleware." + m for m in (
    "catch_errors", "gatekeeper", "healthcheck", "proxy_logging", "memcache",
    "listing_formats", "s3api.s3api", "tempauth", "copy", "slo", "dlo",
    "versioned_writes")]


class SwiftS3:
    """Owns one Swift under a work directory.

    Call start() and stop() from the same thread: the supervisor is told to
    die with the thread that spawned it (PR_SET_PDEATHSIG), and the servers
    with the supervisor, which is what keeps them from outliving a killed
    test. Data in the work directory survives a stop() and a new start().
    """

    def __init__(self, workdir):
        self.workdir = os.path.abspath(workdir)
        self.endpoint = None
        self.access_key = ACCESS_KEY
        self.secret_key = SECRET_KEY
        self.region = REGION
        self.startup_seconds = None
        self._proc = None
        self._log = None
        self._reserved = []
        self._stop_registered = False

    def start(self):
        if self._proc is not None:
            raise RuntimeError("already started")
        dirs = self._make_dirs()
        if not self._stop_registered:
            atexit.register(self.stop)
            self._stop_registered = True
        for attempt in range(1, START_ATTEMPTS + 1):
            try:
                self._start_once(*dirs)
                return
            except RuntimeError:
                self.stop()
                if attempt == START_ATTEMPTS:
                    raise

    def stop(self):
        """Stops every server; safe to call twice or after a failed start.

        Returns once the supervisor has reaped all the servers, or, if it
        hangs, after killing it, which kills them through PR_SET_PDEATHSIG.
        """
        _close_all(self._reserved)
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            _kill_group(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_GRACE_SECONDS + 3)
            except subprocess.TimeoutExpired:
                _kill_group(proc.pid, signal.SIGKILL)
                proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def make_bucket(self, name):
        status, body = self.s3_request("PUT", "/" + name)
        if status != 200:
            raise RuntimeError("creating bucket %s: HTTP %d %s"
                               % (name, status, body[:500]))

    def s3_request(self, method, path, body=b""):
        """Sends one SigV4-signed request for a path-style, unencoded path
        ("/bucket/key") without a query; returns (status, body)."""
        host = urllib.parse.urlsplit(self.endpoint).netloc
        path = urllib.parse.quote(path)
        headers = sigv4_headers(method, host, path, body, self.access_key,
                                self.secret_key, self.region)
        conn = http.client.HTTPConnection(host, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def _start_once(self, etc, devices, logs):
        began = time.monotonic()
        self._reserved = _reserve_ports(len(SERVERS))
        ports = {name: sock.getsockname()[1]
                 for name, sock in zip(SERVERS, self._reserved)}
        _write_configs(etc, devices, ports)
        self._log = open(os.path.join(logs, "swift.log"), "ab")
        # Its own process group, so stop() reaches strays too; the servers
        # leave it anyway, as swift calls setsid().
        self._proc = subprocess.Popen(
            [SWIFT_PYTHON, os.path.abspath(__file__), "supervise", etc, logs,
             str(os.getpid())] + ["%s:%d" % (b, ports[b]) for b in BACKENDS],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
            env=_swift_env(), start_new_session=True)
        self._wait_ready(ports, logs)
        _close_all(self._reserved)
        self.endpoint = "http://127.0.0.1:%d" % ports["proxy"]
        self.startup_seconds = time.monotonic() - began

    def _make_dirs(self):
        etc = os.path.join(self.workdir, "etc")
        devices = os.path.join(self.workdir, "node")
        logs = os.path.join(self.workdir, "log")
        for d in (etc, os.path.join(devices, "d1"), logs):
            os.makedirs(d, exist_ok=True)
        _check_xattrs(os.path.join(devices, "d1"))
        return etc, devices, logs

    def _wait_ready(self, ports, logs):
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        pending = set(ports)
        while pending:
            if self._proc.poll() is not None:
                raise RuntimeError("swift exited with %d; see %s"
                                   % (self._proc.returncode, logs))
            pending = {n for n in pending if not _answers(ports[n])}
            if pending and time.monotonic() > deadline:
                raise RuntimeError("not ready after %ds: %s; see %s"
                                   % (READY_TIMEOUT_SECONDS, sorted(pending),
                                      logs))
            if pending:
                time.sleep(0.05)


def sigv4_headers(method, host, path, body, access_key, secret_key, region,
                  now=None):
    """AWS Signature V4 headers for a request to an encoded path without
    query parameters."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    payload = hashlib.sha256(body).hexdigest()
    headers = {"host": host, "x-amz-content-sha256": payload,
               "x-amz-date": amz_date}
    signed = ";".join(sorted(headers))
    canonical = "\n".join(
        [method, path, ""]
        + ["%s:%s" % (k, headers[k]) for k in sorted(headers)]
        + ["", signed, payload])
    scope = "%s/%s/s3/aws4_request" % (amz_date[:8], region)
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret_key).encode()
    for part in scope.split("/"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"
        % (access_key, scope, signed, signature))
    return headers


def _write_configs(etc, devices, ports):
    _write(os.path.join(etc, "swift.conf"), SWIFT_CONF)
    for name, port in ports.items():
        conf = COMMON_CONF.format(port=port, etc=etc, devices=devices)
        if name == "proxy":
            account, user = ACCESS_KEY.split(":")
            conf += PROXY_CONF.format(region=REGION, account=account,
                                      user=user, secret=SECRET_KEY)
        else:
            conf += BACKEND_CONF.format(name=name)
        _write(os.path.join(etc, name + "-server.conf"), conf)


def _swift_env():
    # Eventlet's green DNS costs half a second of imports, and every address
    # here is a literal IP.
    return dict(os.environ, EVENTLET_NO_GREENDNS="yes")


def _reserve_ports(count):
    """Free loopback ports, held by bound sockets until the servers listen.

    Swift listens through eventlet, which sets SO_REUSEPORT: a second Swift
    on the same port would bind too and quietly take half the connections.
    Setting SO_REUSEPORT only after binding to a free port lets our servers
    bind beside the reservation, while every other bind is refused and the
    kernel hands the port to no one else. Unlistened, it takes no connection.
    """
    socks = []
    try:
        for _ in range(count):
            socks.append(socket.socket())
            socks[-1].bind(("127.0.0.1", 0))
            socks[-1].setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        return socks
    except OSError:
        _close_all(socks)
        raise


def _close_all(socks):
    for s in socks:
        s.close()
    del socks[:]


def _answers(port):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/healthcheck")
        resp = conn.getresponse()
        ok = resp.status == 200 and resp.read() == b"OK"
        conn.close()
        return ok
    except OSError:
        return False


def _check_xattrs(path):
    probe = os.path.join(path, ".xattr-probe")
    _write(probe, "")
    try:
        os.setxattr(probe, "user.swift.probe", b"1")
    except OSError as e:
        raise RuntimeError("the object server needs user xattrs, which the "
                           "filesystem of %s lacks: %s" % (path, e))
    finally:
        os.remove(probe)


def _kill_group(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


# ---- Below runs in the supervisor and servers, under /usr/bin/python3. ----


PR_SET_PDEATHSIG = 1
PR_SET_NAME = 15


def _prctl(option, arg):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(ctypes.c_int(option), arg) != 0:
        raise OSError(ctypes.get_errno(), "prctl(%d)" % option)


def _die_with_parent(parent_pid):
    # SIGKILL when the spawning thread dies, even by SIGKILL; if it is gone
    # already, we were reparented before asking and must go now.
    _prctl(PR_SET_PDEATHSIG, ctypes.c_ulong(signal.SIGKILL))
    if os.getppid() != parent_pid:
        os._exit(1)


def _supervise(etc, logs, parent_pid, backends):
    _die_with_parent(parent_pid)
    _prctl(PR_SET_NAME, ctypes.c_char_p(b"swift-supervise"))
    # Swift reads /etc/swift/swift.conf when swift.common.storage_policy is
    # first imported. Pointing it at our directory first, with Swift's own
    # set_swift_dir (what swift-recon --swift-dir does), needs no root, no
    # mount namespace and leaves the host's /etc alone.
    from swift.common import utils
    utils.set_swift_dir(etc)
    # The order of run_wsgi: patch, then load the apps. Patching here once
    # spares each server its half second of gc.collect() calls, and Swift
    # forks its own workers after patching too.
    importlib.import_module("swift.common.wsgi")
    utils.eventlet_monkey_patch()
    for module in SWIFT_MODULES:
        importlib.import_module(module)

    def on_signal(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    servers = {}  # pid -> name; each pid is also its group's id
    try:
        # The backends never read the rings, so they boot while rings build.
        for name in BACKENDS:
            servers[_fork_server(etc, logs, name)] = name
        if not _build_rings(etc, backends):
            return 1
        servers[_fork_server(etc, logs, "proxy")] = "proxy"
        pid, status = os.wait()
        print("%s server exited with %d" % (
            servers.pop(pid), os.waitstatus_to_exitcode(status)), flush=True)
        return 1
    finally:
        _stop_servers(servers)


def _fork_server(etc, logs, name):
    supervisor = os.getpid()
    sys.stdout.flush()  # or the child would write our buffer out again
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        os.setsid()  # a group of its own, from the start
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        _die_with_parent(supervisor)
        _prctl(PR_SET_NAME, ctypes.c_char_p(b"swift-" + name.encode()))
        log = os.open(os.path.join(logs, name + ".log"),
                      os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        code = _run_server(etc, name)
    except BaseException:
        traceback.print_exc()
    finally:
        _flush_and_exit(code)


def _run_server(etc, name):
    from swift.common.wsgi import run_wsgi
    kwargs = {}
    if name == "object":
        from swift.obj import server
        kwargs["global_conf_callback"] = server.global_conf_callback
    # verbose: log to stderr, which is the server's log file.
    return run_wsgi(os.path.join(etc, name + "-server.conf"), name + "-server",
                    verbose=True, **kwargs)


def _build_rings(etc, backends):
    # swift-ring-builder's own entry point, called in-process: nine separate
    # runs would cost about a second of imports each.
    from swift.cli import ringbuilder
    for spec in backends:
        name, port = spec.split(":")
        builder = os.path.join(etc, name + ".builder")
        for command in (["create", "6", "1", "1"],  # 64 parts, 1 replica
                        ["add", "r1z1-127.0.0.1:%s/d1" % port, "1"],
                        ["rebalance"]):
            try:
                ringbuilder.main(["swift-ring-builder", builder] + command)
            except SystemExit as e:
                if e.code not in (None, 0):
                    return False
    sys.stdout.flush()
    return True


def _flush_and_exit(code):
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _stop_servers(servers):
    for pid in servers:
        _kill_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    while servers and time.monotonic() < deadline:
        for pid in list(servers):
            if os.waitpid(pid, os.WNOHANG)[0]:
                del servers[pid]
        time.sleep(0.02)
    for pid in servers:
        _kill_group(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


# ---- The command line. ----


def _serve(args):
    def on_signal(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    s3 = SwiftS3(args.dir)
    try:
        s3.start()
        if args.bucket:
            s3.make_bucket(args.bucket)
        print(json.dumps({"endpoint": s3.endpoint,
                          "access_key": s3.access_key,
                          "secret_key": s3.secret_key,
                          "region": s3.region,
                          "bucket": args.bucket},
                         separators=(",", ":")), flush=True)
        while os.read(0, 65536):  # until EOF: the owner closed or died
            pass
    finally:
        s3.stop()
    return 0


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run an S3 endpoint until EOF")
    serve.add_argument("--dir", required=True, help="work directory")
    serve.add_argument("--bucket", help="bucket to create before serving")
    # Internal: what SwiftS3 runs under /usr/bin/python3.
    supervise = sub.add_parser("supervise")
    supervise.add_argument("etc")
    supervise.add_argument("logs")
    supervise.add_argument("parent_pid", type=int)
    supervise.add_argument("backends", nargs=len(BACKENDS))
    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    try:
        code = _supervise(args.etc, args.logs, args.parent_pid, args.backends)
    except SystemExit as e:
        code = e.code
    if not isinstance(code, int):  # sys.exit("message"), as swift does
        print(code, file=sys.stderr)
        code = 1
    # The servers are reaped; skip the half second of tearing down swift.
    _flush_and_exit(code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
