#include "dockerfile/glob.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::dockerfile {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// "a*b" with '*' not crossing '/'.
Glob AStarB() {
  Glob g;
  g.AddLiteral("a");
  g.AddStar('/');
  g.AddLiteral("b");
  return g;
}

TEST(GlobTest, SpansReportChosenStarts) {
  const Glob g = AStarB();
  // "abab": matches are [0,2) [0,4) [2,4).
  EXPECT_THAT(g.Spans("abab", 0, Glob::Starts::kAnchored),
              ElementsAre(-1, -1, 0, -1, 0));
  EXPECT_THAT(g.Spans("abab", 0, Glob::Starts::kEarliest),
              ElementsAre(-1, -1, 0, -1, 0));
  EXPECT_THAT(g.Spans("abab", 0, Glob::Starts::kLatest),
              ElementsAre(-1, -1, 0, -1, 2));
  EXPECT_THAT(g.Spans("abab", 1, Glob::Starts::kEarliest),
              ElementsAre(-1, -1, -1, -1, 2));
  // The star stops at '/'.
  EXPECT_FALSE(g.FullMatch("a/b"));
  EXPECT_TRUE(g.FullMatch("axxb"));
}

TEST(GlobTest, OneAndClassConsumeWholeCharacters) {
  Glob g;
  g.AddOne('/');
  CharClass cls;
  ASSERT_TRUE(ParseCharClass("[^a-c]", 0, false, &cls).ok());
  g.AddClass(cls);
  EXPECT_TRUE(g.FullMatch("\xC3\xA9\xE2\x82\xAC"));  // two multi-byte runes
  EXPECT_FALSE(g.FullMatch("xb"));
  EXPECT_FALSE(g.FullMatch("/x"));
  EXPECT_TRUE(g.FullMatch("xd"));
}

TEST(GlobTest, DirsMatchesNothingOrWholeDirectories) {
  Glob g;
  g.AddDirs('\n');
  g.AddLiteral("x");
  EXPECT_TRUE(g.FullMatch("x"));
  EXPECT_TRUE(g.FullMatch("a/b/x"));
  EXPECT_FALSE(g.FullMatch("ax"));
  EXPECT_FALSE(g.FullMatch("a\n/x"));
}

TEST(GlobTest, ParseCharClass) {
  CharClass cls;
  absl::StatusOr<size_t> end = ParseCharClass("x[]a-]y", 1, false, &cls);
  EXPECT_FALSE(end.ok());  // "]" cannot open a class, as in filepath.Match
  end = ParseCharClass("[\\]a-c]z", 0, false, &cls);
  ASSERT_TRUE(end.ok()) << end.status();
  EXPECT_EQ(*end, 7u);
  EXPECT_TRUE(cls.Contains(']'));
  EXPECT_TRUE(cls.Contains('b'));
  EXPECT_FALSE(cls.Contains('d'));

  ASSERT_TRUE(ParseCharClass("[!a]", 0, true, &cls).ok());
  EXPECT_TRUE(cls.negated);
  ASSERT_TRUE(ParseCharClass("[!a]", 0, false, &cls).ok());
  EXPECT_FALSE(cls.negated);
  EXPECT_TRUE(cls.Contains('!'));

  for (const char* bad : {"[", "[a", "[a-", "[-a]", "[a\\", "[b-a]"}) {
    SCOPED_TRACE(bad);
    end = ParseCharClass(bad, 0, false, &cls);
    ASSERT_FALSE(end.ok());
    EXPECT_EQ(end.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(end.status().message(), HasSubstr("class"));
  }
}

TEST(GlobTest, CouldMatchLonger) {
  const Glob g = AStarB();
  EXPECT_TRUE(g.CouldMatchLonger(""));
  EXPECT_TRUE(g.CouldMatchLonger("axx"));  // inside the star
  EXPECT_TRUE(g.CouldMatchLonger("ab"));   // "abb" matches
  EXPECT_FALSE(g.CouldMatchLonger("a/"));  // the star cannot cross '/'
  EXPECT_FALSE(g.CouldMatchLonger("b"));

  Glob lit;
  lit.AddLiteral("dir/file");
  EXPECT_TRUE(lit.CouldMatchLonger("dir/"));
  EXPECT_FALSE(lit.CouldMatchLonger("dir/file"));  // nothing longer
  EXPECT_FALSE(lit.CouldMatchLonger("other/"));
}

}  // namespace
}  // namespace farm::dockerfile
