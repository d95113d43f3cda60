#include "image/oci/manifest.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image/oci/media_types.h"

namespace farm::image::oci {
namespace {

using ::testing::HasSubstr;

Descriptor Blob(absl::string_view media_type, absl::string_view content) {
  Descriptor d;
  d.media_type = std::string(media_type);
  d.digest = Digest::Of(content);
  d.size = content.size();
  return d;
}

TEST(ManifestTest, RoundTripsCanonically) {
  Manifest m;
  m.media_type = std::string(kOciManifest);
  m.config = Blob(kOciConfig, "{}");
  m.layers.push_back(Blob(kOciLayerTarGzip, "layer1"));
  m.layers.push_back(Blob(kOciLayerTarZstd, "layer2"));
  m.layers[1].annotations["k"] = "v";
  m.annotations["org.opencontainers.image.created"] = "now";
  std::string json = m.ToJson();
  absl::StatusOr<Manifest> back = Manifest::Parse(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->ToJson(), json);
  EXPECT_EQ(back->layers[1], m.layers[1]);
  EXPECT_EQ(back->config, m.config);
  EXPECT_EQ(json.find("{\"annotations\""), 0u) << json;
  EXPECT_THAT(json, HasSubstr("\"schemaVersion\":2"));
  EXPECT_THAT(json, ::testing::Not(HasSubstr("subject")));
}

TEST(ManifestTest, ParsesDockerSchema2WithPlatformlessLayers) {
  std::string digest = Digest::Of("x").ToString();
  std::string json =
      R"({"schemaVersion":2,"mediaType":")" + std::string(kDockerManifest) +
      R"(","config":{"mediaType":")" + std::string(kDockerConfig) +
      R"(","size":2,"digest":")" + digest + R"("},"layers":[{"mediaType":")" +
      std::string(kDockerLayerTarGzip) + R"(","size":10,"digest":")" + digest +
      R"("}]})";
  absl::StatusOr<Manifest> m = Manifest::Parse(json);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->media_type, kDockerManifest);
  ASSERT_EQ(m->layers.size(), 1u);
  EXPECT_EQ(LayerCompressionOf(m->layers[0].media_type),
            LayerCompression::kGzip);
}

TEST(ManifestTest, RejectsBadDocuments) {
  std::string d = Digest::Of("x").ToString();
  struct Case {
    std::string json, message;
  };
  std::vector<Case> cases = {
      {R"({"config":{}})", "field schemaVersion: missing"},
      {R"({"schemaVersion":1,"config":{}})",
       "field schemaVersion: want 2, got 1"},
      {R"({"schemaVersion":2})", "field config: missing"},
      {R"({"schemaVersion":2,"config":{"mediaType":"a","size":1}})",
       "field config.digest: missing"},
      {R"({"schemaVersion":2,"config":{"mediaType":"a","size":-1,"digest":")" +
           d + R"("}})",
       "field config.size: must not be negative"},
      {R"({"schemaVersion":2,"config":{"mediaType":"a","size":1,"digest":")" +
           d + R"("},"layers":[{"mediaType":"a","size":1,"digest":"md5:x"}]})",
       "field layers[0].digest:"},
      {R"({"schemaVersion":2,"mediaType":")" + std::string(kOciIndex) +
           R"(","manifests":[]})",
       "is an index, not a manifest"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Manifest> m = Manifest::Parse(c.json);
    ASSERT_FALSE(m.ok()) << c.json;
    EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(m.status().message(), HasSubstr("image manifest: "));
    EXPECT_THAT(m.status().message(), HasSubstr(c.message)) << c.json;
  }
}

TEST(IndexTest, RoundTripsWithPlatforms) {
  Index x;
  x.media_type = std::string(kOciIndex);
  Descriptor amd = Blob(kOciManifest, "m1");
  amd.platform = Platform{"amd64", "linux", "", {}, ""};
  Descriptor arm = Blob(kOciManifest, "m2");
  arm.platform = Platform{"arm64", "linux", "", {}, "v8"};
  arm.annotations[std::string(kAnnotationRefName)] = "1.0";
  x.manifests = {amd, arm};
  std::string json = x.ToJson();
  absl::StatusOr<Index> back = Index::Parse(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->ToJson(), json);
  EXPECT_EQ(back->manifests[1], arm);
  EXPECT_THAT(json, HasSubstr(R"("platform":{"architecture":"arm64",)"
                              R"("os":"linux","variant":"v8"})"));
  EXPECT_EQ(*SniffMediaType(json), kOciIndex);
}

TEST(IndexTest, RejectsManifestAndMissingList) {
  absl::StatusOr<Index> x = Index::Parse(R"({"schemaVersion":2})");
  EXPECT_EQ(x.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(x.status().message(),
              HasSubstr("image index: field manifests: missing"));
  x = Index::Parse(R"({"schemaVersion":2,"mediaType":")" +
                   std::string(kDockerManifest) + R"(","manifests":[]})");
  EXPECT_THAT(x.status().message(), HasSubstr("is a manifest, not an index"));
}

}  // namespace
}  // namespace farm::image::oci
