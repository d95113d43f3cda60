#include "scheduler/platform_builds.h"

#include "cache/blob_store.h"
#include "cache/memory_cache.h"
#include "gtest/gtest.h"
#include "image/oci/manifest.h"
#include "image/oci/media_types.h"
#include "scheduler/image_assembler.h"

namespace farm::scheduler {
namespace {

namespace oci = image::oci;

TEST(PlatformBuildsTest, JobStagesOfPlatformsNeverMeet) {
  EXPECT_EQ(PlatformBuilds::JobStage(0, 7), 7);  // one platform: as before
  for (size_t platform : {0, 1, 5}) {
    for (int stage : {0, 1, 65535}) {
      int job = PlatformBuilds::JobStage(platform, stage);
      EXPECT_EQ(PlatformBuilds::Split(job), std::make_pair(platform, stage));
    }
  }
  EXPECT_NE(PlatformBuilds::JobStage(1, 0), PlatformBuilds::JobStage(0, 65535));
}

BuildSpec SpecWithStages(int stages) {
  BuildSpec spec;
  for (int i = 0; i < stages; ++i) spec.plan.graph.add_stages();
  return spec;
}

TEST(PlatformBuildsTest, AFailureOutranksTheCancellationsItCaused) {
  PlatformBuilds builds;
  ASSERT_TRUE(builds.Add("linux/amd64", SpecWithStages(1)).ok());
  ASSERT_TRUE(builds.Add("linux/arm64", SpecWithStages(1)).ok());
  EXPECT_TRUE(builds.several());
  EXPECT_FALSE(builds.all_done());
  builds.at(0).done = true;
  builds.at(0).status = absl::CancelledError("RUN false failed");
  builds.at(1).done = true;
  builds.at(1).status = absl::InternalError("RUN false failed");
  EXPECT_TRUE(builds.all_done());
  EXPECT_EQ(builds.status().code(), absl::StatusCode::kInternal);
  EXPECT_FALSE(builds.fully_cached());
}

TEST(PlatformBuildsTest, FullyCachedOnlyWhenEveryPlatformIs) {
  PlatformBuilds builds;
  ASSERT_TRUE(builds.Add("linux/amd64", SpecWithStages(1)).ok());
  ASSERT_TRUE(builds.Add("linux/arm64", SpecWithStages(1)).ok());
  builds.at(0).fully_cached = true;
  EXPECT_FALSE(builds.fully_cached());
  builds.at(1).fully_cached = true;
  EXPECT_TRUE(builds.fully_cached());
  EXPECT_TRUE(builds.status().ok());
}

TEST(PlatformBuildsTest, TooManyStagesAreRefused) {
  PlatformBuilds builds;
  absl::Status added = builds.Add("linux/amd64", SpecWithStages(65536));
  EXPECT_EQ(added.code(), absl::StatusCode::kInvalidArgument);
}

AssembledImage ImageOf(const std::string& manifest_type, char tag) {
  AssembledImage image;
  image.manifest_json = std::string("{\"manifest\":\"") + tag + "\"}";
  image.manifest_digest = Digest::Of(image.manifest_json);
  image.media_type = manifest_type;
  return image;
}

TEST(AssembleIndexTest, DockerManifestsMakeAManifestListInTheGivenOrder) {
  cache::MemoryCache cache;
  std::vector<PlatformImage> images = {
      {"linux/arm64", ImageOf(std::string(oci::kDockerManifest), 'a')},
      {"linux/arm/v7", ImageOf(std::string(oci::kDockerManifest), 'b')}};
  absl::StatusOr<AssembledIndex> index = AssembleIndex(images, *cache.blobs());
  ASSERT_TRUE(index.ok()) << index.status();
  EXPECT_EQ(index->digest, Digest::Of(index->json));
  absl::StatusOr<std::string> stored =
      cache::GetBlob(*cache.blobs(), index->digest, 1 << 20);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(*stored, index->json);
  absl::StatusOr<oci::Index> parsed = oci::Index::Parse(index->json);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->media_type, oci::kDockerManifestList);
  ASSERT_EQ(parsed->manifests.size(), 2u);
  EXPECT_EQ(parsed->manifests[0].digest, images[0].image.manifest_digest);
  EXPECT_EQ(parsed->manifests[0].size,
            static_cast<int64_t>(images[0].image.manifest_json.size()));
  EXPECT_EQ(parsed->manifests[0].platform->architecture, "arm64");
  EXPECT_EQ(parsed->manifests[1].platform->architecture, "arm");
  EXPECT_EQ(parsed->manifests[1].platform->variant, "v7");
  // The same images give the same bytes.
  EXPECT_EQ(AssembleIndex(images, *cache.blobs())->json, index->json);
}

TEST(AssembleIndexTest, AnOciManifestMakesAnOciIndex) {
  cache::MemoryCache cache;
  std::vector<PlatformImage> images = {
      {"linux/amd64", ImageOf(std::string(oci::kDockerManifest), 'a')},
      {"linux/arm64", ImageOf(std::string(oci::kOciManifest), 'b')}};
  absl::StatusOr<AssembledIndex> index = AssembleIndex(images, *cache.blobs());
  ASSERT_TRUE(index.ok()) << index.status();
  EXPECT_EQ(oci::Index::Parse(index->json)->media_type, oci::kOciIndex);
}

TEST(AssembleIndexTest, ABadPlatformIsAnError) {
  cache::MemoryCache cache;
  std::vector<PlatformImage> images = {
      {"linux//", ImageOf(std::string(oci::kDockerManifest), 'a')}};
  EXPECT_FALSE(AssembleIndex(images, *cache.blobs()).ok());
}

}  // namespace
}  // namespace farm::scheduler
