"""Issue 13's multi-platform images leaving the farm, through the farm CLI
(embedded farm), a real docker-registry on 127.0.0.1 and skopeo: `farm build
--platform linux/amd64,linux/arm64 --push` puts a manifest list at the tag
whose platforms skopeo copies one at a time, a second push sends the same
bytes, and `farm save --format oci` / `--output type=oci` write an OCI
layout whose index.json points at an OCI index over both platforms.

No RUN step, so no emulator is needed; Debian's arm64 busybox
(scripts/get_arm64_busybox.sh) makes the arm64 base."""

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from registry_fixture import Registry  # noqa: E402

FARM, MAKE_IMAGE, GET_ARM64_BUSYBOX = (os.path.abspath(p)
                                       for p in sys.argv[1:4])
del sys.argv[1:4]

DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
ARCHES = ["amd64", "arm64"]


def skopeo(*args):
    return subprocess.run(["skopeo", *args], check=True, capture_output=True,
                          text=True).stdout


def oci_blob(layout, digest):
    with open(os.path.join(layout, "blobs", *digest.split(":")), "rb") as f:
        return f.read()


def layer_files(layer_bytes):
    """The names in a (gzip) layer tar."""
    with tarfile.open(fileobj=io.BytesIO(layer_bytes)) as t:
        return t.getnames()


class MultiPlatformPushTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="multi-push-",
                                   dir=os.environ.get("TEST_TMPDIR"))
        arm64 = subprocess.run([GET_ARM64_BUSYBOX], capture_output=True,
                               text=True)
        if arm64.returncode != 0:
            raise unittest.SkipTest("no arm64 busybox (" +
                                    arm64.stderr.strip() + ")")
        cls.env = dict(os.environ)
        cls.env["FARM_CONFIG"] = os.path.join(cls.tmp, "farm-config")
        cls.env["DOCKER_CONFIG"] = os.path.join(cls.tmp, "docker-config")
        cls.root = os.path.join(cls.tmp, "root")
        amd, arm = (os.path.join(cls.tmp, n) for n in ("amd.tar", "arm.tar"))
        subprocess.run([MAKE_IMAGE, amd], check=True)
        subprocess.run([MAKE_IMAGE, arm, "--busybox", arm64.stdout.strip(),
                        "--arch", "arm64", "--tag", "busybox-arm64:latest"],
                       check=True)
        cls.farm("load", "-i", amd)
        cls.farm("load", "-i", arm)
        cls.farm("tag", "busybox", "busybox-amd64")
        ctx = os.path.join(cls.tmp, "ctx")
        os.makedirs(ctx)
        with open(os.path.join(ctx, "Dockerfile"), "w") as f:
            f.write("FROM busybox-${TARGETARCH}\nCOPY hello /hello\n")
        with open(os.path.join(ctx, "hello"), "w") as f:
            f.write("hello from every platform\n")
        cls.registry = Registry()
        cls.ref = f"{cls.registry.host}/multi:1"
        cls.built_oci = os.path.join(cls.tmp, "built-oci.tar")
        cls.farm("build", "--progress", "plain", "--platform",
                 "linux/amd64,linux/arm64", "-t", cls.ref, "--push",
                 "--output", f"type=oci,dest={cls.built_oci}", ctx)

    @classmethod
    def tearDownClass(cls):
        if hasattr(cls, "registry"):
            cls.registry.close()

    @classmethod
    def farm(cls, *args):
        proc = subprocess.run([FARM, "--root", cls.root, *args], env=cls.env,
                              capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            raise AssertionError(f"farm {' '.join(args)} failed "
                                 f"({proc.returncode}):\n{proc.stdout}\n"
                                 f"{proc.stderr}")
        return proc

    def raw(self, ref):
        return skopeo("inspect", "--raw", "--tls-verify=false",
                      f"docker://{ref}")

    def test_the_tag_names_a_manifest_list_of_both_platforms(self):
        index = json.loads(self.raw(self.ref))
        self.assertEqual(index["mediaType"], DOCKER_LIST)
        self.assertEqual([(m["platform"]["os"], m["platform"]["architecture"])
                          for m in index["manifests"]],
                         [("linux", a) for a in ARCHES])
        repo = self.ref.rsplit(":", 1)[0]
        for entry in index["manifests"]:
            self.assertEqual(entry["mediaType"], DOCKER_MANIFEST)
            # Each platform's manifest was put by digest, in its gzip form.
            raw = self.raw(f"{repo}@{entry['digest']}")
            self.assertEqual(
                "sha256:" + hashlib.sha256(raw.encode()).hexdigest(),
                entry["digest"])
            self.assertEqual(len(raw.encode()), entry["size"])
            manifest = json.loads(raw)
            self.assertEqual(manifest["mediaType"], DOCKER_MANIFEST)
            self.assertEqual({l["mediaType"] for l in manifest["layers"]},
                             {DOCKER_GZIP})

    def test_skopeo_copies_each_platform_with_its_own_config(self):
        for arch in ARCHES:
            with self.subTest(arch=arch):
                layout = os.path.join(self.tmp, f"copied-{arch}")
                # skopeo checks every blob's digest and the diff_ids.
                skopeo("copy", "-q", "--override-arch", arch,
                       "--src-tls-verify=false", f"docker://{self.ref}",
                       f"oci:{layout}:{arch}")
                config = json.loads(skopeo("inspect", "--config",
                                           f"oci:{layout}:{arch}"))
                self.assertEqual((config["os"], config["architecture"]),
                                 ("linux", arch))
                manifest = json.loads(skopeo("inspect", "--raw",
                                             f"oci:{layout}:{arch}"))
                top = oci_blob(layout, manifest["layers"][-1]["digest"])
                self.assertIn("hello", layer_files(top))

    def test_a_second_push_sends_the_same_index(self):
        before = self.raw(self.ref)
        digest = json.loads(skopeo("inspect", "--tls-verify=false",
                                   f"docker://{self.ref}"))["Digest"]
        pushed = self.farm("push", self.ref).stdout
        self.assertIn(digest, pushed)
        self.assertEqual(self.raw(self.ref), before)

    def saved_index(self, archive):
        """The bytes of the OCI index the archive's index.json names,
        checked to be what skopeo reads, and the layout directory."""
        layout = os.path.join(self.tmp, os.path.basename(archive) + ".d")
        os.makedirs(layout)
        with tarfile.open(archive) as t:
            t.extractall(layout)
        with open(os.path.join(layout, "index.json")) as f:
            top = json.load(f)
        self.assertEqual(len(top["manifests"]), 1, top)
        entry = top["manifests"][0]
        self.assertEqual(entry["mediaType"], OCI_INDEX)
        self.assertEqual(entry["annotations"]["io.containerd.image.name"],
                         self.ref)
        raw = oci_blob(layout, entry["digest"])
        self.assertEqual(len(raw), entry["size"])
        self.assertEqual(skopeo("inspect", "--raw",
                                f"oci-archive:{archive}").encode(), raw)
        return raw, layout

    def check_oci_index(self, index, layout):
        self.assertEqual(index["mediaType"], OCI_INDEX)
        self.assertEqual([m["platform"]["architecture"]
                          for m in index["manifests"]], ARCHES)
        for entry in index["manifests"]:
            self.assertEqual(entry["mediaType"], OCI_MANIFEST)
            manifest = json.loads(oci_blob(layout, entry["digest"]))
            self.assertEqual(manifest["mediaType"], OCI_MANIFEST)
            self.assertEqual(manifest["config"]["mediaType"], OCI_CONFIG)
            self.assertEqual({l["mediaType"] for l in manifest["layers"]},
                             {OCI_GZIP})
            config = json.loads(oci_blob(layout,
                                         manifest["config"]["digest"]))
            self.assertEqual(config["architecture"],
                             entry["platform"]["architecture"])

    def test_save_oci_writes_an_oci_index_of_both_platforms(self):
        saved = os.path.join(self.tmp, "saved-oci.tar")
        self.farm("save", "--format", "oci", "-o", saved, self.ref)
        raw, layout = self.saved_index(saved)
        self.check_oci_index(json.loads(raw), layout)
        for arch in ARCHES:
            with self.subTest(arch=arch):
                out = os.path.join(self.tmp, f"from-archive-{arch}")
                skopeo("copy", "-q", "--override-arch", arch,
                       f"oci-archive:{saved}", f"oci:{out}:{arch}")
                config = json.loads(skopeo("inspect", "--config",
                                           f"oci:{out}:{arch}"))
                self.assertEqual(config["architecture"], arch)
        # Saving again gives the same bytes, as did the build's output.
        again = os.path.join(self.tmp, "saved-again.tar")
        self.farm("save", "--format", "oci", "-o", again, self.ref)
        self.assertEqual(self.saved_index(again)[0], raw)
        self.assertEqual(self.saved_index(self.built_oci)[0], raw)


if __name__ == "__main__":
    unittest.main(verbosity=2)
