#include "image/registry/challenge.h"

#include "gtest/gtest.h"

namespace farm::image::registry {
namespace {

TEST(ChallengeTest, DockerHubBearer) {
  std::vector<Challenge> cs = ParseChallenges(
      "Bearer realm=\"https://auth.docker.io/token\",service=\"registry."
      "docker.io\",scope=\"repository:library/busybox:pull\"");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].scheme, "bearer");
  EXPECT_EQ(cs[0].Param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(cs[0].Param("service"), "registry.docker.io");
  EXPECT_EQ(cs[0].Param("scope"), "repository:library/busybox:pull");
  EXPECT_EQ(cs[0].Param("error"), "");
}

TEST(ChallengeTest, SeveralSchemesSpacesAndEscapes) {
  std::vector<Challenge> cs = ParseChallenges(
      "Basic realm=\"farm \\\"test\\\"\" , BEARER Realm=https://h/t, "
      "error=insufficient_scope,  Negotiate");
  ASSERT_EQ(cs.size(), 3u);
  EXPECT_EQ(cs[0].scheme, "basic");
  EXPECT_EQ(cs[0].Param("realm"), "farm \"test\"");
  EXPECT_EQ(cs[1].scheme, "bearer");
  EXPECT_EQ(cs[1].Param("realm"), "https://h/t");
  EXPECT_EQ(cs[1].Param("error"), "insufficient_scope");
  EXPECT_EQ(cs[2].scheme, "negotiate");
  EXPECT_TRUE(cs[2].params.empty());
}

TEST(ChallengeTest, GarbageGivesWhatItCan) {
  EXPECT_TRUE(ParseChallenges("").empty());
  EXPECT_TRUE(ParseChallenges("  ,  ").empty());
  std::vector<Challenge> cs = ParseChallenges("Bearer realm=\"unterminated");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].Param("realm"), "unterminated");
}

}  // namespace
}  // namespace farm::image::registry
