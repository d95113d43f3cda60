// Pulls images that skopeo pushed to a real docker-registry on 127.0.0.1,
// and checks the errors for missing tags, repositories, platforms,
// unreachable registries and corrupt blobs.
#include <fstream>
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
#include "image/registry/image_puller.h"
#include "image/registry/platform.h"
#include "image/registry/testing/local_registry.h"
#include "image/registry/testing/test_env.h"
#include "image/registry/testing/test_image.h"

namespace farm::image::registry {
namespace {

using ::testing::HasSubstr;
using testing::LocalRegistry;
using testing::Skopeo;
using testing::TestImage;

class PullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<LocalRegistry>> reg = LocalRegistry::Start();
    ASSERT_TRUE(reg.ok()) << reg.status();
    registry_ = *std::move(reg);
    dir_ = *MakeTempDir("pull");
    layout_ = dir_ + "/layout";
    source_ = *archive::DirBlobStore::Open(layout_);
    sink_ = *archive::DirBlobStore::Open(dir_ + "/sink");
    RegistryClientOptions o;
    o.sleeper = &sleeper_;
    client_ = std::make_unique<RegistryClient>(o);
  }
  void TearDown() override { ASSERT_TRUE(RemoveAll(dir_).ok()); }

  TestImage Build(const std::string& platform, const std::string& content) {
    absl::StatusOr<TestImage> image = testing::BuildTestImage(
        *source_,
        {{{"etc/os", platform}},
         {{"data", RandomBytes(50000, 7)}, {"note", content}}},
        platform);
    EXPECT_TRUE(image.ok()) << image.status();
    return *image;
  }

  // Has skopeo push `tag` of the OCI layout to `ref`.
  void SkopeoPush(
      const std::vector<std::pair<std::string, oci::Descriptor>>& refs,
      const std::string& tag, const std::string& ref,
      std::vector<std::string> extra = {}) {
    ASSERT_TRUE(testing::WriteOciLayout(layout_, refs).ok());
    std::vector<std::string> args = {"copy", "--dest-tls-verify=false"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back("oci:" + layout_ + ":" + tag);
    args.push_back("docker://" + ref);
    absl::StatusOr<std::string> out = Skopeo(args);
    ASSERT_TRUE(out.ok()) << out.status();
  }

  // Every blob of `image` is in the sink and hashes to its name.
  void ExpectPulled(const ResolvedImage& image) {
    std::vector<oci::Descriptor> blobs = image.manifest.layers;
    blobs.push_back(image.manifest.config);
    blobs.push_back(image.descriptor);
    for (const oci::Descriptor& b : blobs) {
      absl::StatusOr<Digest> d = DigestFile(sink_->PathOf(b.digest));
      ASSERT_TRUE(d.ok()) << b.digest.ToString() << ": " << d.status();
      EXPECT_EQ(*d, b.digest);
    }
  }

  Reference Ref(const std::string& rest) {
    return *Reference::Parse(registry_->host() + "/" + rest);
  }

  testing::RecordingSleeper sleeper_;
  std::unique_ptr<LocalRegistry> registry_;
  std::string dir_, layout_;
  std::unique_ptr<archive::DirBlobStore> source_, sink_;
  std::unique_ptr<RegistryClient> client_;
};

TEST_F(PullTest, PullsWhatSkopeoPushed) {
  TestImage image = Build("linux/amd64", "oci");
  SkopeoPush({{"v1", image.Descriptor()}}, "v1",
             registry_->host() + "/sk/app:v1");
  ImagePuller puller(client_.get());
  std::vector<BlobEvent::Kind> events;
  absl::Mutex mu;
  PullOptions po;
  po.on_blob = [&](const BlobEvent& e) {
    absl::MutexLock lock(&mu);
    events.push_back(e.kind);
  };
  absl::StatusOr<PullResult> r = puller.Pull(Ref("sk/app:v1"), *sink_, po);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->image.descriptor.digest, image.digest);
  EXPECT_EQ(r->image.descriptor.media_type, oci::kOciManifest);
  EXPECT_EQ(r->image.manifest_bytes, image.manifest);
  EXPECT_FALSE(r->image.index.has_value());
  EXPECT_EQ(r->image.config.architecture, "amd64");
  EXPECT_EQ(r->blobs_fetched, 2);
  EXPECT_EQ(r->bytes_fetched, image.layers[0].size + image.layers[1].size);
  EXPECT_EQ(events.size(), 4u);  // started and done for both layers
  ExpectPulled(r->image);

  // A second pull that knows what the sink has fetches nothing.
  po.have_blob = [&](const Digest& d) { return PathExists(sink_->PathOf(d)); };
  r = puller.Pull(Ref("sk/app:v1"), *sink_, po);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->blobs_fetched, 0);
  EXPECT_EQ(r->blobs_skipped, 2);
}

TEST_F(PullTest, PullsDockerSchema2ThatSkopeoConverted) {
  TestImage image = Build("linux/amd64", "v2s2");
  SkopeoPush({{"v1", image.Descriptor()}}, "v1",
             registry_->host() + "/sk/docker:v1", {"--format", "v2s2"});
  ImagePuller puller(client_.get());
  absl::StatusOr<PullResult> r = puller.Pull(Ref("sk/docker:v1"), *sink_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->image.descriptor.media_type, oci::kDockerManifest);
  EXPECT_NE(r->image.descriptor.digest, image.digest);  // converted
  ASSERT_EQ(r->image.manifest.layers.size(), 2u);
  EXPECT_EQ(r->image.manifest.layers[1].digest, image.layers[1].digest);
  ExpectPulled(r->image);
}

TEST_F(PullTest, ChoosesThePlatformFromAnIndex) {
  TestImage amd = Build("linux/amd64", "amd");
  TestImage arm = Build("linux/arm64/v8", "arm");
  TestImage index = *testing::BuildIndex(
      *source_, {{amd, "linux/amd64"}, {arm, "linux/arm64"}});
  SkopeoPush({{"multi", index.Descriptor()}}, "multi",
             registry_->host() + "/sk/multi:1", {"--all"});

  ImagePuller puller(client_.get());
  absl::StatusOr<ResolvedImage> r = puller.Resolve(Ref("sk/multi:1"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->descriptor.digest, amd.digest);
  ASSERT_TRUE(r->index.has_value());
  EXPECT_EQ(r->index->digest, index.digest);

  absl::StatusOr<oci::Descriptor> head = puller.Head(Ref("sk/multi:1"));
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->digest, index.digest);
  EXPECT_EQ(head->media_type, oci::kOciIndex);
  EXPECT_EQ(head->size, static_cast<int64_t>(index.manifest.size()));

  r = puller.Resolve(Ref("sk/multi:1"), *ParsePlatform("linux/aarch64"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->descriptor.digest, arm.digest);
  EXPECT_EQ(r->config.architecture, "arm64");

  // By the index digest, as FROM name@sha256:... would.
  PullOptions po;
  po.platform = *ParsePlatform("linux/arm64");
  absl::StatusOr<PullResult> pulled =
      puller.Pull(Ref("sk/multi@" + index.digest.ToString()), *sink_, po);
  ASSERT_TRUE(pulled.ok()) << pulled.status();
  ExpectPulled(pulled->image);

  absl::Status s =
      puller.Resolve(Ref("sk/multi:1"), *ParsePlatform("linux/s390x")).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr(registry_->host() + "/sk/multi:1"));
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("no manifest for platform linux/s390x"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("linux/amd64, linux/arm64"));

  // A single-platform image must match an explicit platform.
  SkopeoPush({{"one", amd.Descriptor()}}, "one",
             registry_->host() + "/sk/one:1");
  s = puller.Resolve(Ref("sk/one:1"), *ParsePlatform("linux/arm64")).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("is for linux/amd64, not the requested linux/arm64"));
}

TEST_F(PullTest, MissingTagAndRepositoryAreTold) {
  TestImage image = Build("linux/amd64", "tags");
  SkopeoPush({{"v1", image.Descriptor()}}, "v1",
             registry_->host() + "/sk/tags:v1");
  ImagePuller puller(client_.get());
  absl::Status s = puller.Resolve(Ref("sk/tags:v2")).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("manifest " + registry_->host() +
                        "/sk/tags:v2: manifest unknown "
                        "(MANIFEST_UNKNOWN, HTTP 404)"));
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("check that the tag exists (tags there: v1)"));
  EXPECT_EQ(puller.Head(Ref("sk/tags:v2")).status().code(),
            absl::StatusCode::kNotFound);

  s = puller.Resolve(Ref("sk/nothing:v1")).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("repository " + registry_->host() + "/sk/nothing"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("NAME_UNKNOWN"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("check the repository name"));
  EXPECT_TRUE(sleeper_.slept().empty());  // nothing worth retrying
}

TEST_F(PullTest, UnreachableRegistryIsRetriedThenTold) {
  int port = *testing::PickFreePort();
  ImagePuller puller(client_.get());
  Reference ref = *Reference::Parse(absl::StrCat("127.0.0.1:", port, "/x:1"));
  absl::Status s = puller.Resolve(ref).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(
      std::string(s.message()),
      HasSubstr(absl::StrCat("cannot reach registry 127.0.0.1:", port)));
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("check the address and that the "
                        "registry is running"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("gave up after 5 attempts"));
  EXPECT_EQ(sleeper_.slept().size(), 4u);
}

TEST_F(PullTest, CorruptBlobIsDataLossAndNotStored) {
  TestImage image = Build("linux/amd64", "corrupt");
  SkopeoPush({{"v1", image.Descriptor()}}, "v1",
             registry_->host() + "/sk/bad:v1");
  // Damage the registry's copy of the second layer, keeping its size.
  const oci::Descriptor& layer = image.layers[1];
  std::string path = registry_->BlobDataPath(layer.digest);
  std::string bytes = *ReadFile(path);
  bytes[bytes.size() / 2] ^= 0x55;
  ASSERT_TRUE(WriteFile(path, bytes).ok());

  ImagePuller puller(client_.get());
  absl::Status s = puller.Pull(Ref("sk/bad:v1"), *sink_).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("fetching blob " + layer.digest.ToString()));
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("the registry's copy is corrupt"));
  EXPECT_FALSE(PathExists(sink_->PathOf(layer.digest)));

  // A truncated copy fails on its size.
  ASSERT_TRUE(WriteFile(path, bytes.substr(0, 100)).ok());
  s = puller.FetchBlob(Ref("sk/bad:v1"), layer, *sink_);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("received 100 bytes, the manifest says " +
                        std::to_string(layer.size)));
}

}  // namespace
}  // namespace farm::image::registry
