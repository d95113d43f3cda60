// `farm inspect`'s JSON: a single image as before, a multi-platform one as
// its default platform's image under the index's id with every platform's
// image and the index.
#include "client/image_inspect.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace farm::client {
namespace {

using Json = nlohmann::json;

constexpr char kConfig[] =
    R"({"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]},)"
    R"("rootfs":{"type":"layers","diff_ids":["sha256:d1"]}})";
constexpr char kManifest[] =
    R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.)"
    R"(manifest.v2+json","layers":[]})";
constexpr char kIndex[] =
    R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.)"
    R"(manifest.list.v2+json","manifests":[{"digest":"sha256:m1"},)"
    R"({"digest":"sha256:m2"}]})";

proto::InspectImageResponse Single() {
  proto::InspectImageResponse image;
  image.mutable_summary()->add_tags("docker.io/library/app:1");
  image.mutable_summary()->set_image_id("sha256:c1");
  image.mutable_summary()->set_manifest_digest("sha256:m1");
  image.mutable_summary()->set_size(100);
  image.set_config(kConfig);
  image.set_manifest(kManifest);
  return image;
}

proto::ImageSummary PlatformImage(const std::string& platform,
                                  const std::string& manifest,
                                  const std::string& id, int64_t size) {
  proto::ImageSummary summary;
  summary.add_platforms(platform);
  summary.set_manifest_digest(manifest);
  summary.set_image_id(id);
  summary.set_size(size);
  return summary;
}

Json Inspect(const proto::InspectImageResponse& image) {
  absl::StatusOr<std::string> text = InspectJson({image});
  EXPECT_TRUE(text.ok()) << text.status();
  Json parsed = Json::parse(text.value_or("[{}]"));
  EXPECT_EQ(parsed.size(), 1u);
  return parsed[0];
}

TEST(InspectJsonTest, ASingleImageHasNoManifests) {
  Json image = Inspect(Single());
  EXPECT_EQ(image["Id"], "sha256:c1");
  EXPECT_EQ(image["RepoTags"], Json::array({"app:1"}));
  EXPECT_EQ(image["Architecture"], "amd64");
  EXPECT_EQ(image["Descriptor"]["digest"], "sha256:m1");
  EXPECT_EQ(image["Descriptor"]["size"], std::string(kManifest).size());
  EXPECT_FALSE(image.contains("Manifests"));
  EXPECT_FALSE(image.contains("Index"));
}

TEST(InspectJsonTest, AMultiPlatformImageListsEveryPlatform) {
  proto::InspectImageResponse image = Single();
  image.mutable_summary()->set_image_id("sha256:i1");
  image.mutable_summary()->set_manifest_digest("sha256:i1");
  image.mutable_summary()->add_platforms("linux/amd64");
  image.mutable_summary()->add_platforms("linux/arm/v7");
  image.set_index(kIndex);
  *image.add_manifests() =
      PlatformImage("linux/amd64", "sha256:m1", "sha256:c1", 100);
  *image.add_manifests() =
      PlatformImage("linux/arm/v7", "sha256:m2", "sha256:c2", 90);
  Json json = Inspect(image);
  EXPECT_EQ(json["Id"], "sha256:i1");
  EXPECT_EQ(json["Architecture"], "amd64");  // the default platform's
  EXPECT_EQ(json["Descriptor"],
            (Json{{"mediaType",
                   "application/vnd.docker.distribution.manifest.list.v2+json"},
                  {"digest", "sha256:i1"},
                  {"size", std::string(kIndex).size()}}));
  ASSERT_EQ(json["Manifests"].size(), 2u);
  EXPECT_EQ(json["Manifests"][0], (Json{{"Platform", "linux/amd64"},
                                        {"Digest", "sha256:m1"},
                                        {"Id", "sha256:c1"},
                                        {"Architecture", "amd64"},
                                        {"Os", "linux"},
                                        {"Size", 100}}));
  EXPECT_EQ(json["Manifests"][1]["Architecture"], "arm");
  EXPECT_EQ(json["Manifests"][1]["Variant"], "v7");
  EXPECT_EQ(json["Index"], Json::parse(kIndex));
}

TEST(InspectJsonTest, AnIndexThatIsNotJsonIsDataLoss) {
  proto::InspectImageResponse image = Single();
  image.set_index("not json");
  absl::StatusOr<std::string> text = InspectJson({image});
  EXPECT_EQ(text.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(text.status().message(), "the image's index is not a JSON object");
}

}  // namespace
}  // namespace farm::client
