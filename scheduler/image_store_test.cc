// Tenants in the image store: each sees, resolves and changes only its own
// images and tags, and a blob goes only when no tenant's image needs it.
#include "scheduler/image_store.h"

#include <memory>
#include <string>

#include "cache/memory_cache.h"
#include "common/fs.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace farm::scheduler {
namespace {

// A one-layer image's blobs, stored in `blobs`; returns the manifest digest.
Digest PutImage(cache::BlobStore& blobs, const std::string& layer) {
  const std::string diff_id = Digest::Of("tar of " + layer).ToString();
  const std::string config =
      nlohmann::json{{"architecture", "amd64"},
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

}  // namespace
}  // namespace farm::scheduler
