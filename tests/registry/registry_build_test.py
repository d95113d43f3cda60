"""Issue 6 end to end through the farm CLI and a real docker-registry on
127.0.0.1: push and read back with skopeo, pull what skopeo pushed from a
Docker-made archive, build FROM the registry with --push, basic auth with
farm login, clear errors, and a remote farm that fetches base layers from
the registry once for two builds on two workers."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "distributed"))
from registry_fixture import Registry  # noqa: E402
from cluster import Cluster  # noqa: E402

FARM, SCHEDULER, WORKER, MAKE_IMAGE, DOCKER_ARCHIVE = (
    os.path.abspath(p) for p in sys.argv[1:6])
del sys.argv[1:6]


GZIP_LAYER_TYPES = ("application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "application/vnd.oci.image.layer.v1.tar+gzip")


class RegistryBuildTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="registry-test-",
                                   dir=os.environ.get("TEST_TMPDIR"))
        cls.busybox = os.path.join(cls.tmp, "busybox.tar")
        subprocess.run([MAKE_IMAGE, cls.busybox], check=True)
        # Keep the host's credentials out of the tests.
        cls.env = dict(os.environ)
        cls.env["FARM_CONFIG"] = os.path.join(cls.tmp, "farm-config")
        cls.env["DOCKER_CONFIG"] = os.path.join(cls.tmp, "docker-config")
        cls.registry = Registry()
        cls.root_count = 0

    @classmethod
    def tearDownClass(cls):
        cls.registry.close()

    def new_root(self):
        RegistryBuildTest.root_count += 1
        return os.path.join(self.tmp, f"root{self.root_count}")

    def farm(self, root, *args, check=True, input=None):
        proc = subprocess.run([FARM, "--root", root, *args], env=self.env,
                              capture_output=True, text=True, input=input,
                              timeout=300)
        if check and proc.returncode != 0:
            self.fail(f"farm {' '.join(args)} failed ({proc.returncode}):\n"
                      f"{proc.stdout}\n{proc.stderr}")
        return proc

    def skopeo(self, *args):
        return subprocess.run(["skopeo", *args], check=True,
                              capture_output=True, text=True).stdout

    def push_busybox(self, name, registry=None):
        registry = registry or self.registry
        root = self.new_root()
        self.farm(root, "load", "-i", self.busybox)
        ref = f"{registry.host}/{name}"
        self.farm(root, "tag", "busybox:latest", ref)
        return root, ref

    def test_push_and_read_back_with_skopeo(self):
        root, ref = self.push_busybox("lib/busybox:1")
        pushed = self.farm(root, "push", ref).stdout
        inspect = json.loads(self.farm(root, "inspect", ref).stdout)[0]
        remote = json.loads(self.skopeo("inspect", "--tls-verify=false",
                                        f"docker://{ref}"))
        self.assertIn(remote["Digest"], pushed)
        self.assertEqual(remote["Layers"][0].split(":")[0], "sha256")
        # The loaded layers are plain tars; they go out gzip-compressed, as
        # `docker push` sends them, with the same diff_ids.
        raw = json.loads(self.skopeo("inspect", "--raw", "--tls-verify=false",
                                     f"docker://{ref}"))
        for layer in raw["layers"]:
            self.assertIn(layer["mediaType"], GZIP_LAYER_TYPES)
        config = json.loads(self.skopeo("inspect", "--config",
                                        "--tls-verify=false", f"docker://{ref}"))
        self.assertEqual(config["rootfs"]["diff_ids"],
                         inspect["RootFS"]["Layers"])
        # A second push sends the same manifest: the gzip form is remembered.
        self.assertIn(remote["Digest"], self.farm(root, "push", ref).stdout)
        # skopeo copy verifies every digest as it fetches.
        self.skopeo("copy", "-q", "--src-tls-verify=false", f"docker://{ref}",
                    f"dir:{os.path.join(self.tmp, 'copied')}")

    def test_pull_what_skopeo_pushed_from_a_docker_archive(self):
        ref = f"{self.registry.host}/docker-made:1"
        self.skopeo("copy", "-q", "--dest-tls-verify=false",
                    f"docker-archive:{DOCKER_ARCHIVE}", f"docker://{ref}")
        config = json.loads(self.skopeo("inspect", "--config",
                                        "--tls-verify=false", f"docker://{ref}"))
        root = self.new_root()
        self.farm(root, "pull", ref)
        inspect = json.loads(self.farm(root, "inspect", ref).stdout)[0]
        self.assertEqual(inspect["RootFS"]["Layers"], config["rootfs"]["diff_ids"])
        saved = os.path.join(self.tmp, "docker-made.tar")
        self.farm(root, "save", "-o", saved, ref)
        self.skopeo("inspect", f"docker-archive:{saved}")

    def pushed_base_context(self, name, base_name, steps):
        """Pushes busybox as `base_name`; a context `name` whose Dockerfile
        is FROM it, then `steps`."""
        base_root, base = self.push_busybox(base_name)
        self.farm(base_root, "push", base)
        ctx = os.path.join(self.tmp, name)
        os.makedirs(ctx)
        with open(os.path.join(ctx, "Dockerfile"), "w") as f:
            f.write(f"FROM {base}\n{steps}")
        return ctx

    def test_build_from_the_registry_and_push(self):
        ctx = self.pushed_base_context("ctx-push", "base/busybox:1",
                                       "RUN echo built > /built\n")
        app = f"{self.registry.host}/team/app:1"
        root = self.new_root()  # an empty farm: the base must be pulled
        self.farm(root, "build", "--progress", "plain", "--push", "-t", app, ctx)
        remote = json.loads(self.skopeo("inspect", "--tls-verify=false",
                                        f"docker://{app}"))
        self.assertEqual(len(remote["Layers"]), 2)
        # farm builds plain layers and pushes them as Docker would: a Docker
        # schema 2 manifest of gzip layers.
        raw = json.loads(self.skopeo("inspect", "--raw", "--tls-verify=false",
                                     f"docker://{app}"))
        self.assertEqual(
            raw["mediaType"],
            "application/vnd.docker.distribution.manifest.v2+json")
        self.assertEqual([l["mediaType"] for l in raw["layers"]],
                         ["application/vnd.docker.image.rootfs.diff.tar.gzip"]
                         * 2)
        # skopeo copy checks every blob's digest and the diff_ids.
        self.skopeo("copy", "-q", "--src-tls-verify=false", f"docker://{app}",
                    f"oci:{os.path.join(self.tmp, 'app-oci')}:app")
        self.assertIn(f"{self.registry.host}/base/busybox",
                      self.farm(root, "images").stdout)

    def test_basic_auth_refuses_then_accepts_after_login(self):
        secured = Registry(users={"ci": "s3cret"})
        try:
            root, ref = self.push_busybox("private/busybox:1", secured)
            refused = self.farm(root, "push", ref, check=False)
            self.assertNotEqual(refused.returncode, 0)
            self.assertRegex(refused.stderr, r"(?i)unauthori[sz]ed|login")
            wrong = self.farm(root, "login", "-u", "ci", "--password-stdin",
                              secured.host, input="wrong\n", check=False)
            self.assertNotEqual(wrong.returncode, 0)
            login = self.farm(root, "login", "-u", "ci", "--password-stdin",
                              secured.host, input="s3cret\n")
            self.assertIn("Login Succeeded", login.stdout)
            self.farm(root, "push", ref)
            self.skopeo("inspect", "--tls-verify=false", "--creds", "ci:s3cret",
                        f"docker://{ref}")
            self.farm(root, "logout", secured.host)
            again = self.farm(root, "push", ref, check=False)
            self.assertNotEqual(again.returncode, 0)
        finally:
            secured.close()

    def test_clear_errors(self):
        known_root, known = self.push_busybox("known/busybox:1")
        self.farm(known_root, "push", known)
        root = self.new_root()
        missing_tag = self.farm(root, "pull", f"{self.registry.host}/known/busybox:nope",
                                check=False)
        self.assertEqual(missing_tag.returncode, 1)
        self.assertIn("MANIFEST_UNKNOWN", missing_tag.stderr)
        self.assertIn("known/busybox:nope", missing_tag.stderr)
        missing_repo = self.farm(root, "pull", f"{self.registry.host}/no/such:1",
                                 check=False)
        self.assertEqual(missing_repo.returncode, 1)
        self.assertRegex(missing_repo.stderr, r"NAME_UNKNOWN|MANIFEST_UNKNOWN")
        unreachable = self.farm(root, "pull", "127.0.0.1:1/x:1", check=False)
        self.assertEqual(unreachable.returncode, 1)
        self.assertIn("127.0.0.1:1", unreachable.stderr)
        ctx = os.path.join(self.tmp, "ctx-missing")
        os.makedirs(ctx)
        with open(os.path.join(ctx, "Dockerfile"), "w") as f:
            f.write(f"FROM {self.registry.host}/never/pushed:1\nRUN true\n")
        build = self.farm(root, "build", "--progress", "plain", ctx, check=False)
        self.assertEqual(build.returncode, 1)
        self.assertIn("never/pushed:1", build.stderr + build.stdout)

    def test_a_platform_the_pulled_base_lacks_fails_naming_its_platform(self):
        ctx = self.pushed_base_context("ctx-platform", "amd64only/busybox:1",
                                       "RUN true\n")
        root = self.new_root()  # an empty farm: the base must be pulled
        build = self.farm(root, "build", "--progress", "plain", "--platform",
                          "linux/arm64", "-t", "arm:1", ctx, check=False)
        self.assertEqual(build.returncode, 1, build.stdout + build.stderr)
        self.assertRegex(build.stderr,
                         r"is for linux/amd64, not the requested linux/arm64")
        self.assertIn("Dockerfile:1", build.stderr)
        self.assertNotIn("arm", self.farm(root, "images").stdout)
        # The platform it has builds.
        self.farm(root, "build", "--progress", "plain", "--platform",
                  "linux/amd64", "-t", "amd:1", ctx)

    def test_remote_farm_fetches_base_layers_once_for_two_workers(self):
        base_root, base = self.push_busybox("shared/base:1")
        self.farm(base_root, "push", base)
        manifest = json.loads(self.skopeo("inspect", "--raw", "--tls-verify=false",
                                          f"docker://{base}"))
        layer_digest = manifest["layers"][0]["digest"]
        cluster = Cluster(FARM, SCHEDULER, WORKER, workers=2)
        try:
            contexts = []
            for name in ("one", "two"):
                contexts.append(cluster.context(
                    f"remote-{name}",
                    f"FROM {base}\nRUN sleep 2 && echo {name} > /{name}\n"))
            runs = [cluster.start_build(ctx) for ctx in contexts]
            workers = set()
            for run in runs:
                run.wait(timeout=180)
                self.assertTrue(run.result and run.result["ok"],
                                run.output() + cluster.dump_logs())
                workers |= {e["worker"] for e in run.events
                            if e["kind"] == "STEP_STARTED" and
                            "sleep 2" in e.get("text", "")}
            self.assertEqual(len(workers), 2, workers)
            self.assertEqual(self.registry.blob_gets("shared/base", layer_digest), 1,
                             self.registry.logs()[-3000:])
        finally:
            cluster.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
