// Tenants in the image store: each sees, resolves and changes only its own
// images and tags, and a blob goes only when no tenant's image needs it.
// Multi-platform images: one image over an index, every platform's blobs
// held and let go of with it.
#include "scheduler/image_store.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cache/memory_cache.h"
#include "common/fs.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace farm::scheduler {
namespace {

// A one-layer image's blobs, stored in `blobs`; returns the manifest digest.
Digest PutImage(cache::BlobStore& blobs, const std::string& layer,
                const std::string& arch = "amd64") {
  const std::string diff_id = Digest::Of("tar of " + layer).ToString();
  const std::string config =
      nlohmann::json{{"architecture", arch},
                     {"os", "linux"},
                     {"config", nlohmann::json::object()},
                     {"rootfs", {{"type", "layers"}, {"diff_ids", {diff_id}}}}}
          .dump();
  const std::string manifest =
      nlohmann::json{
          {"schemaVersion", 2},
          {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
          {"config",
           {{"mediaType", "application/vnd.oci.image.config.v1+json"},
            {"size", config.size()},
            {"digest", Digest::Of(config).ToString()}}},
          {"layers",
           {{{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"},
             {"size", layer.size()},
             {"digest", Digest::Of(layer).ToString()}}}}}
          .dump();
  for (const std::string* blob : {&layer, &config, &manifest}) {
    EXPECT_TRUE(cache::PutBlob(blobs, *blob).ok());
  }
  return Digest::Of(manifest);
}

// An OCI index of `manifests` (each with its architecture), stored in
// `blobs`; returns its digest.
Digest PutIndex(cache::BlobStore& blobs,
                const std::vector<std::pair<Digest, std::string>>& manifests) {
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& [digest, arch] : manifests) {
    entries.push_back(
        {{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
         {"digest", digest.ToString()},
         {"size", blobs.Stat(digest)->size},
         {"platform", {{"architecture", arch}, {"os", "linux"}}}});
  }
  const std::string index = nlohmann::json{
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.index.v1+json"},
      {"manifests", entries}}.dump();
  EXPECT_TRUE(cache::PutBlob(blobs, index).ok());
  return Digest::Of(index);
}

class ImageStoresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = *MakeTempDir("image-stores");
    Reopen();
  }
  void Reopen() {
    stores_.reset();
    absl::StatusOr<std::unique_ptr<ImageStores>> stores =
        ImageStores::Open(dir_, cache_.blobs(), "default");
    ASSERT_TRUE(stores.ok()) << stores.status();
    stores_ = *std::move(stores);
    a_ = stores_->ForTenant("team-a");
    b_ = stores_->ForTenant("team-b");
  }
  bool Stored(const std::string& blob) {
    return cache_.blobs()->Stat(Digest::Of(blob)).ok();
  }

  std::string dir_;
  cache::MemoryCache cache_;
  std::unique_ptr<ImageStores> stores_;
  ImageStore* a_ = nullptr;
  ImageStore* b_ = nullptr;
};

TEST_F(ImageStoresTest, ATenantSeesOnlyItsOwnImagesAndTags) {
  const Digest app = PutImage(*cache_.blobs(), "layer of app");
  ASSERT_TRUE(a_->Add(app, {"app:1"}).ok());
  ASSERT_EQ(a_->List(false)->size(), 1u);
  EXPECT_TRUE(b_->List(true)->empty());
  // Not by tag, id, short id or digest.
  const std::string id = a_->Get("app:1")->record.config_digest;
  for (const std::string& ref : {std::string("app:1"), id, id.substr(7, 12),
                                 app.ToString(), "app@" + app.ToString()}) {
    absl::StatusOr<ImageInfo> got = b_->Get(ref);
    EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound) << ref;
    EXPECT_TRUE(a_->Get(ref).ok()) << ref;
  }
  // Nor can it tag, remove or prune it.
  EXPECT_EQ(b_->Tag(id, "mine:1").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(b_->Remove("app:1", true).status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(b_->Prune(true).ok());
  EXPECT_TRUE(a_->Get("app:1").ok());
  EXPECT_TRUE(Stored("layer of app"));
}

TEST_F(ImageStoresTest, OneTenantsTagNeverShadowsAnothers) {
  const Digest real = PutImage(*cache_.blobs(), "the real python");
  const Digest fake = PutImage(*cache_.blobs(), "a poisoned python");
  ASSERT_TRUE(a_->Add(real, {"python:3.12"}).ok());
  ASSERT_TRUE(b_->Add(fake, {"python:3.12"}).ok());
  EXPECT_EQ(a_->Get("python:3.12")->record.manifest_digest, real.ToString());
  EXPECT_EQ(b_->Get("python:3.12")->record.manifest_digest, fake.ToString());
  Reopen();  // and so it stays on disk
  EXPECT_EQ(a_->Get("python:3.12")->record.manifest_digest, real.ToString());
  EXPECT_EQ(stores_->Tenants(), (std::vector<std::string>{"team-a", "team-b"}));
}

TEST_F(ImageStoresTest, SharedBlobsStayWhileAnyTenantNeedsThem) {
  const Digest base = PutImage(*cache_.blobs(), "debian layer");
  ASSERT_TRUE(a_->Add(base, {"debian:12"}).ok());
  ASSERT_TRUE(b_->Add(base, {"base:latest"}).ok());
  absl::StatusOr<PruneImagesResult> pruned = a_->Prune(true);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(pruned->deleted.size(), 1u);  // gone for team-a...
  EXPECT_EQ(pruned->reclaimed_bytes, 0);
  EXPECT_TRUE(Stored("debian layer"));  // ...but team-b still has it
  EXPECT_TRUE(b_->Get("base:latest").ok());
  ASSERT_TRUE(b_->Remove("base:latest", false).ok());
  EXPECT_FALSE(Stored("debian layer"));
  EXPECT_TRUE(stores_->ReferencedBlobs().empty());
}

TEST_F(ImageStoresTest, AnIndexFromBeforeTenantsBelongsToTheDefaultTenant) {
  const Digest old = PutImage(*cache_.blobs(), "old layer");
  stores_.reset();
  nlohmann::json legacy = {
      {"images",
       {{old.ToString(),
         {{"config", "sha256:" + std::string(64, 'c')},
          {"created_ns", 0},
          {"size", 9}}}}},
      {"tags", {{"docker.io/library/old:1", old.ToString()}}}};
  ASSERT_TRUE(WriteFile(JoinPath(dir_, "images.json"), legacy.dump()).ok());
  Reopen();
  EXPECT_TRUE(stores_->ForTenant("default")->Get("old:1").ok());
  EXPECT_FALSE(a_->Get("old:1").ok());
}

// A multi-platform image, as `farm build --platform A,B` stores it.
class IndexImageTest : public ImageStoresTest {
 protected:
  void SetUp() override {
    ImageStoresTest::SetUp();
    // arm64 first: the default platform is still amd64.
    arm_ = PutImage(*cache_.blobs(), "arm64 layer", "arm64");
    amd_ = PutImage(*cache_.blobs(), "amd64 layer", "amd64");
    index_ = PutIndex(*cache_.blobs(), {{arm_, "arm64"}, {amd_, "amd64"}});
  }

  Digest arm_, amd_, index_;
};

TEST_F(IndexImageTest, IsOneImageWithEveryPlatform) {
  absl::StatusOr<ImageInfo> added = a_->Add(index_, {"multi:1"});
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_TRUE(added->is_index());
  // Its id is the index's digest, as in Docker's containerd image store.
  EXPECT_EQ(added->record.manifest_digest, index_.ToString());
  EXPECT_EQ(added->record.config_digest, index_.ToString());
  EXPECT_EQ(added->record.size,
            static_cast<int64_t>(std::string("arm64 layer").size() +
                                 std::string("amd64 layer").size()));
  ASSERT_EQ(added->platforms.size(), 2u);
  EXPECT_EQ(added->platforms[0].platform, "linux/arm64");
  EXPECT_EQ(added->platforms[1].platform, "linux/amd64");
  EXPECT_EQ(DefaultPlatformOf(*added), "linux/amd64");
  EXPECT_EQ(added->config.architecture, "amd64");

  absl::StatusOr<std::vector<ImageInfo>> listed = a_->List(false);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_TRUE((*listed)[0].is_index());
  EXPECT_EQ((*listed)[0].tags,
            std::vector<std::string>{"docker.io/library/multi:1"});
  for (const std::string& ref : {std::string("multi:1"), index_.ToString(),
                                 index_.ToString().substr(7, 12)}) {
    absl::StatusOr<ImageInfo> got = a_->Get(ref);
    ASSERT_TRUE(got.ok()) << ref << ": " << got.status();
    EXPECT_TRUE(got->is_index()) << ref;
  }
  ASSERT_TRUE(a_->Tag("multi:1", "multi:2").ok());
  EXPECT_EQ(a_->Get("multi:2")->record.manifest_digest, index_.ToString());
}

TEST_F(IndexImageTest, ForPlatformGivesOnePlatformsImage) {
  ASSERT_TRUE(a_->Add(index_, {"multi:1"}).ok());
  ImageInfo multi = *a_->Get("multi:1");
  for (const std::string& platform :
       {std::string("linux/arm64"), std::string("linux/aarch64"),
        std::string("linux/arm64/v8")}) {
    absl::StatusOr<ImageInfo> arm = ForPlatform(multi, platform);
    ASSERT_TRUE(arm.ok()) << platform << ": " << arm.status();
    EXPECT_FALSE(arm->is_index());
    EXPECT_EQ(arm->record.manifest_digest, arm_.ToString());
    EXPECT_EQ(arm->record.config_digest,
              arm->manifest.config.digest.ToString());
    EXPECT_EQ(arm->config.architecture, "arm64");
    EXPECT_EQ(arm->record.size,
              static_cast<int64_t>(std::string("arm64 layer").size()));
    EXPECT_EQ(arm->tags, multi.tags);
  }
  absl::StatusOr<ImageInfo> s390x = ForPlatform(multi, "linux/s390x");
  EXPECT_EQ(s390x.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s390x.status().message(),
            absl::StrCat("image ", index_.ToString().substr(7, 12),
                         " has no linux/s390x image; it has linux/arm64, "
                         "linux/amd64"));
  // A single image is its own platform's image, and nothing else's.
  ASSERT_TRUE(a_->Add(arm_, {"arm:1"}).ok());
  ImageInfo single = *a_->Get("arm:1");
  EXPECT_EQ(DefaultPlatformOf(single), "");
  EXPECT_EQ(ForPlatform(single, "linux/arm64")->record.manifest_digest,
            arm_.ToString());
  EXPECT_EQ(ForPlatform(single, "linux/amd64").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(IndexImageTest, EveryPlatformsBlobsAreReferenced) {
  ASSERT_TRUE(a_->Add(index_, {"multi:1"}).ok());
  ImageInfo multi = *a_->Get("multi:1");
  absl::flat_hash_set<Digest> referenced = stores_->ReferencedBlobs();
  for (const char* blob : {"arm64 layer", "amd64 layer"}) {
    EXPECT_TRUE(referenced.contains(Digest::Of(blob))) << blob;
  }
  for (const Digest& d :
       {index_, arm_, amd_, multi.platforms[0].manifest.config.digest,
        multi.platforms[1].manifest.config.digest}) {
    EXPECT_TRUE(referenced.contains(d)) << d.ToString();
  }
  std::vector<Digest> blobs = ImageBlobs(multi);
  EXPECT_EQ(absl::flat_hash_set<Digest>(blobs.begin(), blobs.end()),
            referenced);
}

TEST_F(IndexImageTest, AnIndexWithAMissingPlatformIsNotAdded) {
  ASSERT_TRUE(cache_.blobs()->Delete(Digest::Of("arm64 layer")).ok());
  absl::StatusOr<ImageInfo> added = a_->Add(index_, {"multi:1"});
  EXPECT_EQ(added.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(added.status().message(),
                                Digest::Of("arm64 layer").ToString()))
      << added.status();
  EXPECT_EQ(a_->Get("multi:1").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(IndexImageTest, RemovingItDeletesEveryPlatformsBlobs) {
  ASSERT_TRUE(a_->Add(index_, {"multi:1"}).ok());
  ASSERT_TRUE(b_->Add(amd_, {"amd:1"}).ok());  // shares the amd64 image
  absl::StatusOr<RemoveResult> removed = a_->Remove("multi:1", false);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(removed->untagged, std::vector<std::string>{"multi:1"});
  EXPECT_EQ(removed->deleted, std::vector<std::string>{index_.ToString()});
  EXPECT_FALSE(cache_.blobs()->Stat(index_).ok());
  EXPECT_FALSE(cache_.blobs()->Stat(arm_).ok());
  EXPECT_FALSE(Stored("arm64 layer"));
  // What another image still needs stays.
  EXPECT_TRUE(cache_.blobs()->Stat(amd_).ok());
  EXPECT_TRUE(Stored("amd64 layer"));
  EXPECT_TRUE(a_->List(true)->empty());
}

TEST_F(IndexImageTest, PruneDeletesAnUntaggedIndex) {
  ASSERT_TRUE(a_->Add(index_, {}).ok());
  absl::StatusOr<PruneImagesResult> pruned = a_->Prune(false);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(pruned->deleted, std::vector<std::string>{index_.ToString()});
  EXPECT_GT(pruned->reclaimed_bytes, 0);
  EXPECT_FALSE(Stored("amd64 layer"));
  EXPECT_TRUE(stores_->ReferencedBlobs().empty());
}

TEST_F(IndexImageTest, ABackgroundPruneLeavesTheBlobsToTheCache) {
  ASSERT_TRUE(a_->Add(index_, {}).ok());
  absl::StatusOr<PruneImagesResult> pruned =
      a_->Prune(/*all=*/false, /*keep_blobs=*/true);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(pruned->deleted, std::vector<std::string>{index_.ToString()});
  EXPECT_EQ(pruned->reclaimed_bytes, 0);
  // Unpinned, not deleted: a build that found the layer may still use it.
  EXPECT_TRUE(Stored("amd64 layer"));
  EXPECT_TRUE(stores_->ReferencedBlobs().empty());
}

}  // namespace
}  // namespace farm::scheduler
