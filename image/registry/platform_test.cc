#include "image/registry/platform.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image/oci/media_types.h"

namespace farm::image::registry {
namespace {

using ::testing::HasSubstr;

oci::Descriptor Entry(const std::string& platform, char hex) {
  oci::Descriptor d;
  d.media_type = std::string(oci::kOciManifest);
  d.digest = *Digest::Parse("sha256:" + std::string(64, hex));
  d.size = 100;
  d.platform = *ParsePlatform(platform);
  return d;
}

TEST(PlatformTest, ParseAndNormalise) {
  oci::Platform p = *ParsePlatform("linux/x86_64");
  EXPECT_EQ(PlatformString(p), "linux/amd64");
  EXPECT_EQ(PlatformString(*ParsePlatform("linux/aarch64/v8")), "linux/arm64");
  EXPECT_EQ(PlatformString(*ParsePlatform("linux/arm")), "linux/arm/v7");
  EXPECT_EQ(PlatformString(*ParsePlatform("linux/armhf")), "linux/arm/v7");
  EXPECT_EQ(PlatformString(*ParsePlatform("Linux/ARM/6")), "linux/arm/v6");
  EXPECT_EQ(PlatformString(DefaultPlatform()), "linux/amd64");
  for (const char* bad : {"linux", "linux/", "/amd64", "a/b/c/d"}) {
    absl::Status s = ParsePlatform(bad).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(s.message()), HasSubstr(bad));
  }
}

TEST(PlatformTest, Matches) {
  EXPECT_TRUE(PlatformMatches(*ParsePlatform("linux/arm64"),
                              *ParsePlatform("linux/arm64/v8")));
  EXPECT_FALSE(PlatformMatches(*ParsePlatform("linux/arm/v7"),
                               *ParsePlatform("linux/arm/v6")));
  EXPECT_FALSE(
      PlatformMatches(DefaultPlatform(), *ParsePlatform("windows/amd64")));
}

TEST(PlatformTest, SelectsFromIndex) {
  oci::Index index;
  index.manifests = {Entry("linux/amd64", '1'), Entry("linux/arm/v6", '2'),
                     Entry("linux/arm/v7", '3'), Entry("linux/arm64", '4')};
  oci::Descriptor unknown = Entry("linux/amd64", '5');
  unknown.platform->os = "unknown";  // an attestation entry
  index.manifests.push_back(unknown);

  EXPECT_EQ(SelectManifest(index, DefaultPlatform())->digest.hex()[0], '1');
  EXPECT_EQ(SelectManifest(index, *ParsePlatform("linux/arm"))->digest.hex()[0],
            '3');
  EXPECT_EQ(
      SelectManifest(index, *ParsePlatform("linux/arm/v6"))->digest.hex()[0],
      '2');
  EXPECT_EQ(
      SelectManifest(index, *ParsePlatform("linux/aarch64"))->digest.hex()[0],
      '4');

  absl::Status s =
      SelectManifest(index, *ParsePlatform("linux/s390x")).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("no manifest for platform linux/s390x"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("linux/amd64, linux/arm/v6"));
}

}  // namespace
}  // namespace farm::image::registry
