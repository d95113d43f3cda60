#include "scheduler/etcd_keys.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace farm::scheduler {
namespace {

TEST(EtcdKeysTest, TagsAndDigestsStayLegible) {
  EXPECT_EQ(EscapeKeyPart("docker.io/library/app:1.2_rc-3~x"),
            "docker.io%2Flibrary%2Fapp:1.2_rc-3~x");
  EXPECT_EQ(EscapeKeyPart("sha256:ab12"), "sha256:ab12");
  EXPECT_EQ(EscapeKeyPart("100%"), "100%25");
  EXPECT_EQ(EscapeKeyPart(""), "");
}

TEST(EtcdKeysTest, EveryByteRoundTripsAndNoSlashSurvives) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  const std::string escaped = EscapeKeyPart(all);
  EXPECT_EQ(escaped.find('/'), std::string::npos);
  absl::StatusOr<std::string> back = UnescapeKeyPart(escaped);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, all);
}

TEST(EtcdKeysTest, PartsThatLookAlikeStayApart) {
  std::set<std::string> seen;
  for (const char* part : {"a/b", "a%2Fb", "a%2fb", "a:b", "a b", "a\nb"}) {
    EXPECT_TRUE(seen.insert(EscapeKeyPart(part)).second) << part;
  }
  // Joined with '/', tenant "a/b" + id "c" is not tenant "a" + id "b/c".
  EXPECT_NE(EscapeKeyPart("a/b") + "/" + EscapeKeyPart("c"),
            EscapeKeyPart("a") + "/" + EscapeKeyPart("b/c"));
}

TEST(EtcdKeysTest, OnlyTheOneSpellingIsAccepted) {
  for (const char* bad : {"a/b", "%2f", "%41", "%", "%2", "%zz", "a b"}) {
    absl::StatusOr<std::string> got = UnescapeKeyPart(bad);
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(*UnescapeKeyPart("x%2Fy%25"), "x/y%");
}

}  // namespace
}  // namespace farm::scheduler
