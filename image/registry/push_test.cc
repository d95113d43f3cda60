// Pushes images built with farm's layer writer to a real docker-registry on
// 127.0.0.1 and reads them back with skopeo.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/digest.h"
#include "common/fs.h"
#include "common/random_bytes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image/archive/dir_blob_store.h"
#include "image/oci/media_types.h"
#include "image/registry/image_pusher.h"
#include "image/registry/testing/local_registry.h"
#include "image/registry/testing/registry_front.h"
#include "image/registry/testing/test_env.h"
#include "image/registry/testing/test_image.h"
#include "nlohmann/json.hpp"

namespace farm::image::registry {
namespace {

using testing::BuildTestImage;
using testing::FrontOptions;
using ::testing::HasSubstr;
using testing::LocalRegistry;
using testing::RegistryFront;
using testing::Skopeo;
using testing::TestImage;

class PushTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<LocalRegistry>> reg = LocalRegistry::Start();
    ASSERT_TRUE(reg.ok()) << reg.status();
    registry_ = *std::move(reg);
    dir_ = *MakeTempDir("push");
    store_ = *archive::DirBlobStore::Open(dir_ + "/store");
  }
  void TearDown() override { ASSERT_TRUE(RemoveAll(dir_).ok()); }

  RegistryClientOptions Options() {
    RegistryClientOptions o;
    o.sleeper = &sleeper_;
    return o;
  }

  TestImage Image(const std::vector<std::map<std::string, std::string>>& layers,
                  bool docker_types = false) {
    absl::StatusOr<TestImage> image =
        BuildTestImage(*store_, layers, "linux/amd64", docker_types);
    EXPECT_TRUE(image.ok()) << image.status();
    return *image;
  }

  absl::StatusOr<PushResult> Push(RegistryClient& client,
                                  const std::string& ref,
                                  const TestImage& image,
                                  const PushOptions& options = {}) {
    ImagePusher pusher(&client);
    return pusher.Push(*Reference::Parse(ref), image.manifest, image.media_type,
                       *store_, options);
  }

  // Copies `ref` out of the registry with skopeo into a dir: layout and
  // checks that the manifest and every blob arrived unchanged.
  void ExpectSkopeoCopiesExactly(const std::string& ref,
                                 const TestImage& image) {
    std::string out = dir_ + "/copy-" + std::to_string(copies_++);
    absl::StatusOr<std::string> copied = Skopeo(
        {"copy", "--src-tls-verify=false", "docker://" + ref, "dir:" + out});
    ASSERT_TRUE(copied.ok()) << copied.status();
    EXPECT_EQ(*ReadFile(out + "/manifest.json"), image.manifest);
    std::vector<oci::Descriptor> blobs = image.layers;
    blobs.push_back(image.config);
    for (const oci::Descriptor& b : blobs) {
      absl::StatusOr<Digest> d = DigestFile(out + "/" + b.digest.hex());
      ASSERT_TRUE(d.ok()) << d.status();
      EXPECT_EQ(*d, b.digest);
    }
  }

  testing::RecordingSleeper sleeper_;
  std::unique_ptr<LocalRegistry> registry_;
  std::string dir_;
  std::unique_ptr<archive::DirBlobStore> store_;
  int copies_ = 0;
};

TEST_F(PushTest, SkopeoReadsWhatFarmPushed) {
  TestImage image = Image({{{"etc/hostname", "farm\n"}, {"bin/tool", "x"}},
                           {{"app/data.bin", RandomBytes(70000, 1)}}});
  RegistryClient client(Options());
  std::string ref = registry_->host() + "/team/app:1.0";
  absl::StatusOr<PushResult> r = Push(client, ref, image);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->digest, image.digest);
  EXPECT_EQ(r->blobs_uploaded, 3);
  EXPECT_EQ(r->blobs_existing, 0);
  EXPECT_EQ(r->bytes_uploaded,
            image.config.size + image.layers[0].size + image.layers[1].size);

  absl::StatusOr<std::string> inspect =
      Skopeo({"inspect", "--tls-verify=false", "docker://" + ref});
  ASSERT_TRUE(inspect.ok()) << inspect.status();
  nlohmann::json j = nlohmann::json::parse(*inspect);
  EXPECT_EQ(j["Digest"], image.digest.ToString());
  EXPECT_EQ(j["Architecture"], "amd64");
  EXPECT_EQ(j["Os"], "linux");
  ASSERT_EQ(j["Layers"].size(), 2u);
  EXPECT_EQ(j["Layers"][0], image.layers[0].digest.ToString());
  EXPECT_EQ(j["Layers"][1], image.layers[1].digest.ToString());
  ExpectSkopeoCopiesExactly(ref, image);

  // A second push finds every blob there (HEAD) and uploads nothing.
  r = Push(client, registry_->host() + "/team/app:1.1", image);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->blobs_existing, 3);
  EXPECT_EQ(r->blobs_uploaded, 0);
  ExpectSkopeoCopiesExactly(registry_->host() + "/team/app:1.1", image);
}

TEST_F(PushTest, DockerMediaTypesAndPushByDigest) {
  TestImage image = Image({{{"a", "docker types"}}}, /*docker_types=*/true);
  RegistryClient client(Options());
  std::string ref =
      registry_->host() + "/docker/app@" + image.digest.ToString();
  absl::StatusOr<PushResult> r = Push(client, ref, image);
  ASSERT_TRUE(r.ok()) << r.status();
  absl::StatusOr<std::string> raw =
      Skopeo({"inspect", "--raw", "--tls-verify=false", "docker://" + ref});
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_EQ(*raw, image.manifest);
  EXPECT_EQ(nlohmann::json::parse(*raw)["mediaType"],
            std::string(oci::kDockerManifest));

  // A digest reference must name the manifest being pushed.
  std::string wrong =
      registry_->host() + "/docker/app@sha256:" + std::string(64, '0');
  absl::Status s = Push(client, wrong, image).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("the manifest's digest is " + image.digest.ToString()));
}

TEST_F(PushTest, LargeBlobsGoUpInChunks) {
  std::string data = RandomBytes(700 << 10, 2);
  TestImage image = Image({{{"big.bin", data}}});
  ASSERT_GT(image.layers[0].size, 700 << 10);  // random data does not shrink
  FrontOptions fo;
  fo.upstream = registry_->host();
  std::unique_ptr<RegistryFront> front = *RegistryFront::Start(fo);

  RegistryClientOptions o = Options();
  o.upload.monolithic_limit = 256 << 10;
  o.upload.chunk_size = 256 << 10;
  RegistryClient client(o);
  std::string ref = front->host() + "/chunked:1";
  absl::StatusOr<PushResult> r = Push(client, ref, image);
  ASSERT_TRUE(r.ok()) << r.status();
  int64_t chunks = (image.layers[0].size + (256 << 10) - 1) / (256 << 10);
  EXPECT_EQ(front->Count("PATCH", "/v2/chunked/blobs/uploads/"), chunks);
  // The config is small and goes up in one PUT with the data; the layer's
  // final PUT carries only the digest.
  EXPECT_EQ(front->Count("PUT", "/v2/chunked/blobs/uploads/"), 2);
  ExpectSkopeoCopiesExactly(ref, image);
}

TEST_F(PushTest, MountsBlobsKnownToBeInAnotherRepository) {
  TestImage image = Image({{{"base", "layer one"}}, {{"more", "layer two"}}});
  FrontOptions fo;
  fo.upstream = registry_->host();
  std::unique_ptr<RegistryFront> front = *RegistryFront::Start(fo);
  RegistryClient client(Options());
  ASSERT_TRUE(Push(client, front->host() + "/base:1", image).ok());
  front->ClearLog();

  PushOptions po;
  std::vector<oci::Descriptor> blobs = image.layers;
  blobs.push_back(image.config);
  for (const oci::Descriptor& b : blobs) {
    po.known_locations[b.digest] = {"elsewhere.example/base",
                                    front->host() + "/base"};
  }
  std::string ref = front->host() + "/derived/app:1";
  absl::StatusOr<PushResult> r = Push(client, ref, image, po);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->blobs_mounted, 3);
  EXPECT_EQ(r->blobs_uploaded, 0);
  int mounts = 0;
  for (const testing::LoggedRequest& req : front->Log()) {
    if (req.method == "POST") {
      EXPECT_THAT(req.target, HasSubstr("mount=sha256"));
      EXPECT_THAT(req.target, HasSubstr("from=base"));
      EXPECT_EQ(req.status, 201);
      ++mounts;
    }
    EXPECT_NE(req.method, "PATCH");
    if (req.method == "PUT") EXPECT_THAT(req.target, HasSubstr("/manifests/"));
  }
  EXPECT_EQ(mounts, 3);
  ExpectSkopeoCopiesExactly(ref, image);
}

TEST_F(PushTest, LayersMoveInParallelWithinTheBound) {
  std::vector<std::map<std::string, std::string>> layers;
  for (int i = 0; i < 5; ++i) {
    layers.push_back({{"f" + std::to_string(i), std::string(1000 + i, 'x')}});
  }
  TestImage image = Image(layers);
  FrontOptions fo;
  fo.upstream = registry_->host();
  fo.upload_delay = absl::Milliseconds(150);
  std::unique_ptr<RegistryFront> front = *RegistryFront::Start(fo);

  RegistryClient parallel(Options());  // parallel_blobs = 4
  ASSERT_TRUE(Push(parallel, front->host() + "/par:1", image).ok());
  EXPECT_EQ(front->max_concurrent_uploads(), 4);

  std::unique_ptr<RegistryFront> front2 = *RegistryFront::Start(fo);
  RegistryClientOptions o = Options();
  o.parallel_blobs = 1;
  RegistryClient serial(o);
  ASSERT_TRUE(Push(serial, front2->host() + "/ser:1", image).ok());
  EXPECT_EQ(front2->max_concurrent_uploads(), 1);
}

TEST_F(PushTest, RetriesServerErrorsWithBackoff) {
  TestImage image = Image({{{"r", "retry me"}}});
  FrontOptions fo;
  fo.upstream = registry_->host();
  std::unique_ptr<RegistryFront> front = *RegistryFront::Start(fo);
  front->FailNext(2, 503, "PUT", "/blobs/uploads/");
  front->FailNext(1, 502, "PUT", "/manifests/");
  RegistryClient client(Options());
  std::string ref = front->host() + "/flaky:1";
  absl::StatusOr<PushResult> r = Push(client, ref, image);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(front->Count("PUT", "/manifests/1"), 2);
  EXPECT_EQ(sleeper_.slept().size(), 3u);
  for (absl::Duration d : sleeper_.slept()) {
    EXPECT_EQ(d, RetryPolicy().initial_backoff);  // each recovered at once
  }
  ExpectSkopeoCopiesExactly(ref, image);

  // A registry that keeps failing: give up with the registry's words.
  front->FailNext(100, 503, "PUT", "/manifests/");
  absl::Status s = Push(client, front->host() + "/flaky:2", image).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("pushing " + front->host() + "/flaky:2"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("UNAVAILABLE, HTTP 503"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("gave up after 5 attempts"));
}

TEST_F(PushTest, MissingLocalBlobIsNamed) {
  TestImage image = Image({{{"m", "missing"}}});
  ASSERT_TRUE(RemoveAll(store_->PathOf(image.layers[0].digest)).ok());
  RegistryClient client(Options());
  absl::Status s =
      Push(client, registry_->host() + "/missing:1", image).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr(image.layers[0].digest.ToString()));
}

}  // namespace
}  // namespace farm::image::registry
