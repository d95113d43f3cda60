"""farm's own image really works: scripts/image.sh builds deploy/Dockerfile
with farm itself (embedded, from Bazel's binaries: --binaries) on a Debian 12
base made by mmdebstrap (cached), writes a docker-archive and an OCI layout
and pushes to a registry on 127.0.0.1; then farm-cache, farm-scheduler and a
farm-worker run FROM THAT IMAGE (its OCI layout unpacked by umoci, run by
runc as the Helm chart runs the pods) and the host's `farm --remote` builds
a Dockerfile with a RUN through them.

Skips, saying so, only when this host cannot reach Debian's mirror
($FARM_TEST_DEBIAN_MIRROR), which the image's apt-get needs.

  image_test.py FARM SCHEDULER WORKER CACHE IMAGE_SH MAKE_DEBIAN_IMAGE
                MAKE_BUSYBOX_IMAGE CHART_YAML VALUES_YAML
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import runc_bundle  # noqa: E402

(FARM, SCHEDULER, WORKER, CACHE, IMAGE_SH, MAKE_DEBIAN, MAKE_BUSYBOX,
 CHART_YAML, VALUES_YAML) = (os.path.abspath(p) for p in sys.argv[1:10])
del sys.argv[1:10]
MIRROR = os.environ.get("FARM_TEST_DEBIAN_MIRROR",
                        "http://deb.debian.org/debian")


def yaml_scalar(path, pattern):
    """The value of a top-level (or indented) `key: value` line; enough for
    Chart.yaml and values.yaml without a YAML library."""
    with open(path) as f:
        match = re.search(pattern + r"\s*\"?([^\"\n#]*?)\"?\s*(#.*)?$",
                          f.read(), re.MULTILINE)
    return match.group(1) if match else None


def run(*args, timeout=120, **kwargs):
    proc = subprocess.run(args, capture_output=True, text=True,
                          timeout=timeout, **kwargs)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({proc.returncode}):"
                             f"\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def layer_files(archive, names):
    """{name: contents} of `names` in a docker-archive's layers."""
    found = {}
    with tarfile.open(archive) as outer:
        manifest = json.load(outer.extractfile("manifest.json"))
        for layer in manifest[0]["Layers"]:
            with tarfile.open(fileobj=outer.extractfile(layer)) as inner:
                for member in inner.getmembers():
                    if member.name in names and member.isfile():
                        found[member.name] = inner.extractfile(member).read()
    return found


class Registry:
    """Debian's docker-registry on a free port of 127.0.0.1, which farm and
    skopeo reach over plain HTTP (loopback registries are insecure ones)."""

    def __init__(self, directory):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.host = f"127.0.0.1:{s.getsockname()[1]}"
        config = os.path.join(directory, "registry.yml")
        with open(config, "w") as f:
            f.write(f"version: 0.1\nstorage:\n  filesystem:\n"
                    f"    rootdirectory: {directory}/registry\n"
                    f"http:\n  addr: {self.host}\n")
        self.log = open(os.path.join(directory, "registry.log"), "wb")
        self.proc = subprocess.Popen(["docker-registry", "serve", config],
                                     stdout=self.log, stderr=self.log)
        deadline = time.time() + 20
        while True:
            try:
                urllib.request.urlopen(f"http://{self.host}/v2/",
                                       timeout=1).close()
                return
            except OSError:
                if time.time() > deadline or self.proc.poll() is not None:
                    self.close()
                    raise
                time.sleep(0.1)

    def close(self):
        self.proc.kill()
        self.proc.wait()
        self.log.close()


def farm_env():
    """The environment of a `farm` command: none of the host's farm
    settings (FARM_REMOTE would send image.sh's commands elsewhere) or
    registry credentials."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("FARM_REMOTE", "FARM_ROOT", "FARM_TOKEN")}
    env["FARM_CONFIG"] = os.path.join(Image.work, "farm-config")
    env["DOCKER_CONFIG"] = os.path.join(Image.work, "docker-config")
    return env


class Image:
    """What setUpModule made: the archives, the pushed reference and the
    unpacked root filesystem."""
    work = out = rootfs = registry = pushed = version = None
    seconds = {}


def setUpModule():
    try:
        urllib.request.urlopen(f"{MIRROR}/dists/bookworm/InRelease",
                               timeout=20).close()
    except OSError as e:
        raise unittest.SkipTest(f"Debian's mirror ({MIRROR}) is unreachable "
                                f"from this host ({e}): the image's apt-get "
                                "needs it")
    Image.work = tempfile.mkdtemp(prefix="image-test-",
                                  dir=os.environ.get("TEST_TMPDIR"))
    Image.version = yaml_scalar(CHART_YAML, r"^appVersion:")
    Image.registry = Registry(Image.work)

    start = time.monotonic()
    base = os.path.join(Image.work, "debian.tar")
    run(sys.executable, MAKE_DEBIAN, "--mirror", MIRROR, base, timeout=600)
    Image.seconds["base"] = time.monotonic() - start

    # The binaries Bazel built for this test, as scripts/image.sh --prebuilt
    # would take them from bazel-bin.
    binaries = os.path.join(Image.work, "bin")
    os.mkdir(binaries)
    for path in (FARM, SCHEDULER, WORKER, CACHE):
        shutil.copy(path, binaries)

    start = time.monotonic()
    Image.out = os.path.join(Image.work, "out")
    Image.pushed = f"{Image.registry.host}/farm:{Image.version}"
    log = os.path.join(Image.work, "image.log")
    with open(log, "w") as f:
        code = subprocess.call(
            [IMAGE_SH, "--binaries", binaries, "--base-archive", base,
             "--root", os.path.join(Image.work, "root"), "--out", Image.out,
             "--push", Image.pushed],
            stdout=f, stderr=subprocess.STDOUT, timeout=900,
            env=farm_env())
    with open(log) as f:
        output = f.read()
    if code != 0:
        raise AssertionError(f"image.sh failed ({code}):\n{output[-6000:]}")
    Image.seconds["image.sh"] = time.monotonic() - start
    # The embedded farm's state and the base are done with: keep the disk.
    shutil.rmtree(os.path.join(Image.work, "root"), ignore_errors=True)
    os.remove(base)

    start = time.monotonic()
    bundle = os.path.join(Image.work, "bundle")
    run("umoci", "unpack", "--image",
        f"{Image.out}/farm-image.oci:{Image.version}", bundle)
    Image.rootfs = os.path.join(bundle, "rootfs")
    Image.seconds["umoci unpack"] = time.monotonic() - start


def tearDownModule():
    if Image.registry:
        Image.registry.close()
    for name, seconds in Image.seconds.items():
        print(f"image_test: {name} took {seconds:.1f} s", file=sys.stderr)
    if Image.work:
        shutil.rmtree(Image.work, ignore_errors=True)


class ImageTest(unittest.TestCase):
    """The archives, the registry copy and what the image holds."""

    def skopeo_config(self, ref, *flags):
        return json.loads(run("skopeo", "inspect", "--config", *flags, ref))

    def test_archives_and_registry_hold_the_same_valid_image(self):
        docker = f"docker-archive:{Image.out}/farm-image.docker.tar"
        oci = f"oci:{Image.out}/farm-image.oci:{Image.version}"
        inspected = json.loads(run("skopeo", "inspect", docker))
        self.assertEqual(inspected["Os"], "linux")
        config = self.skopeo_config(docker)
        self.assertEqual(config["config"]["Cmd"], ["farm", "--help"])
        self.assertEqual(self.skopeo_config(oci), config)
        self.assertEqual(self.skopeo_config(f"docker://{Image.pushed}",
                                            "--tls-verify=false"), config)
        # skopeo copy verifies every blob's digest as it reads it.
        run("skopeo", "copy", "-q", "--src-tls-verify=false",
            f"docker://{Image.pushed}", f"dir:{Image.work}/pulled",
            timeout=300)
        shutil.rmtree(f"{Image.work}/pulled")

        # The sizes, for the log: the base's layer (the test's base is
        # mmdebstrap's minbase, uncompressed, much larger than Docker Hub's
        # debian:12-slim), then the layers deploy/Dockerfile adds.
        layers = json.loads(run("skopeo", "inspect", "--raw", oci))["layers"]
        with tarfile.open(f"{Image.out}/farm-image.docker.tar") as archive:
            manifest = json.load(archive.extractfile("manifest.json"))
            unpacked = [archive.getmember(name).size
                        for name in manifest[0]["Layers"]]
        for layer, size in zip(layers, unpacked):
            print(f"image_test: layer {layer['digest'][7:19]}: "
                  f"{size / 1e6:.1f} MB, {layer['size'] / 1e6:.1f} MB as "
                  "stored", file=sys.stderr)

    def test_tagged_as_the_chart_names_it(self):
        # values.yaml's image.repository, and image.tag's default, the
        # chart's appVersion, which follows common/version.h.
        repository = yaml_scalar(VALUES_YAML, r"^  repository:")
        self.assertEqual(yaml_scalar(VALUES_YAML, r"^  tag:"), "")
        with tarfile.open(f"{Image.out}/farm-image.docker.tar") as archive:
            manifest = json.load(archive.extractfile("manifest.json"))
        self.assertEqual(manifest[0]["RepoTags"],
                         [f"{repository}:{Image.version}"])

    def test_no_compiler(self):
        for name in ("gcc", "cc", "g++", "c++", "cpp", "clang"):
            path = os.path.join(Image.rootfs, "usr/bin", name)
            self.assertFalse(os.path.lexists(path), path)
        with open(os.path.join(Image.rootfs, "var/lib/dpkg/status")) as f:
            packages = re.findall(r"^Package: (\S+)", f.read(), re.MULTILINE)
        compilers = [p for p in packages if re.fullmatch(
            r"(gcc|g\+\+|cpp|clang|build-essential)(-[0-9.]+)?", p)]
        self.assertEqual(compilers, [])
        self.assertIn("runc", packages)

    def test_every_library_resolves(self):
        # ldd in the image: the shared libraries of all four binaries, and
        # libcurl, which farm loads with dlopen.
        for binary in ("farm", "farm-scheduler", "farm-worker", "farm-cache"):
            libraries = run("chroot", Image.rootfs, "ldd",
                            f"/usr/local/bin/{binary}")
            self.assertNotIn("not found", libraries, binary)
        run("chroot", Image.rootfs, "sh", "-c",
            "ldconfig -p | grep -q 'libcurl.so.4 '")


class FarmFromImageTest(unittest.TestCase):
    """farm-cache, farm-scheduler and a farm-worker run from the image."""

    @classmethod
    def setUpClass(cls):
        cls.dir = os.path.join(Image.work, "farm")
        cls.state = os.path.join(cls.dir, "runc")
        cls.containers = []
        os.makedirs(cls.state)
        try:
            cache_port = cls.start_server(
                "cache", ["farm-cache", "--listen", "127.0.0.1:0", "--root",
                          "/var/lib/farm-cache", "--max-bytes", "1000000000"],
                "/var/lib/farm-cache", r"on port (\d+)")
            cls.port = cls.start_server(
                "scheduler",
                ["farm-scheduler", "--listen", "127.0.0.1:0", "--root",
                 "/var/lib/farm-scheduler", "--cache",
                 f"127.0.0.1:{cache_port}"],
                "/var/lib/farm-scheduler", r"listening on port (\d+)")
            cls.worker = cls.start(
                "worker", runc_bundle.spec(
                    Image.rootfs,
                    ["farm-worker", "--scheduler", f"127.0.0.1:{cls.port}",
                     "--root", "/var/lib/farm-worker", "--id", "image-worker",
                     "--slots", "2"],
                    privileged=True,
                    binds={"/var/lib/farm-worker": cls.volume("worker", 0)},
                    cgroup=cls.cgroup("worker")))
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for container in reversed(cls.containers):
            container.stop()

    @classmethod
    def volume(cls, name, uid):
        """A host directory for a volume, owned as the chart's fsGroup
        makes it."""
        path = os.path.join(cls.dir, f"{name}-volume")
        os.makedirs(path)
        os.chown(path, uid, uid)
        return path

    @classmethod
    def cgroup(cls, name):
        return f"farm-image-test-{os.getpid()}-{name}"

    @classmethod
    def start(cls, name, config):
        with open(os.path.join(cls.dir, f"{name}.log"), "wb") as log:
            container = runc_bundle.Container(
                cls.state, os.path.join(cls.dir, name), name, config, log,
                log)
        container.log = log.name
        cls.containers.append(container)
        return container

    @classmethod
    def start_server(cls, name, args, volume, pattern):
        """Starts a server as the chart does (user 65532, read-only root,
        no capabilities) and returns the port it logs."""
        container = cls.start(name, runc_bundle.spec(
            Image.rootfs, args, uid=65532, gid=65532,
            binds={volume: cls.volume(name, 65532)}, cgroup=cls.cgroup(name)))
        deadline = time.time() + 60
        while time.time() < deadline:
            with open(container.log) as f:
                match = re.search(pattern, f.read())
            if match:
                return match.group(1)
            if container.proc.poll() is not None:
                break
            time.sleep(0.1)
        with open(container.log) as f:
            raise AssertionError(f"{name} did not start:\n{f.read()}")

    def farm(self, *args, timeout=120):
        """The host's farm against the image's scheduler; its output and
        errors."""
        proc = subprocess.run(
            [FARM, "--remote", f"127.0.0.1:{self.port}", *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            timeout=timeout, env=farm_env())
        self.assertEqual(proc.returncode, 0,
                         f"farm {' '.join(args)}:\n{proc.stdout}")
        return proc.stdout

    def test_a_remote_build_runs_on_the_image_worker(self):
        # The image's own farm client lists the image's worker.
        deadline = time.time() + 30
        workers = ""
        while "image-worker" not in workers and time.time() < deadline:
            client = self.start(f"client-{time.monotonic_ns()}",
                                runc_bundle.spec(
                                    Image.rootfs,
                                    ["farm", "--remote",
                                     f"127.0.0.1:{self.port}", "workers"],
                                    uid=65532, gid=65532))
            client.proc.wait(timeout=60)
            with open(client.log) as f:
                workers = f.read()
            time.sleep(0.2)
        self.assertIn("image-worker", workers)

        busybox = os.path.join(self.dir, "busybox.tar")
        run(MAKE_BUSYBOX, busybox)
        self.farm("load", "-i", busybox)
        context = os.path.join(self.dir, "context")
        os.mkdir(context)
        with open(os.path.join(context, "Dockerfile"), "w") as f:
            f.write("FROM busybox:latest\n"
                    "RUN echo built-by-the-image > /proof \\\n"
                    " && ls /sys/class/net > /interfaces\n")
        start = time.monotonic()
        out = os.path.join(self.dir, "proof.tar")
        log = self.farm("build", "--progress", "plain", "-t", "proof:1",
                        "-o", f"type=docker,dest={out}", context)
        Image.seconds["remote build"] = time.monotonic() - start
        self.assertIn("(worker image-worker)", log)
        files = layer_files(out, {"proof", "interfaces"})
        self.assertEqual(files.get("proof"), b"built-by-the-image\n")
        # The RUN had its private network: slirp4netns in the image.
        self.assertEqual(files.get("interfaces"), b"lo\ntap0\n")

        # SIGTERM drains the worker, PID 1 of its container, and it exits.
        self.assertEqual(self.worker.stop(), 0)


if __name__ == "__main__":
    unittest.main()
