#include "dockerfile/dockerignore.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::dockerfile {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

using Lines = std::vector<std::string>;

IgnoreMatcher MustParse(const Lines& lines) {
  absl::StatusOr<IgnoreMatcher> m =
      IgnoreMatcher::Parse(absl::StrJoin(lines, "\n"));
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *std::move(m) : IgnoreMatcher();
}

// Lines of a .dockerignore file, a path in the context, and whether docker
// build leaves that path out of the context.
struct MatchCase {
  Lines lines;
  const char* path;
  bool excluded;
};

const std::vector<MatchCase> kMatchCases = {
    // '*' and '?' stay inside one path element.
    {{"*.go"}, "main.go", true},
    {{"*.go"}, "src/main.go", false},
    {{"*/*.go"}, "src/main.go", true},
    {{"a*b"}, "axxb", true},
    {{"a*b"}, "a/b", false},
    {{"?.txt"}, "a.txt", true},
    {{"?.txt"}, "ab.txt", false},
    {{"?.txt"}, "\xC3\xA9.txt", true},  // one character, two bytes
    {{"a?c"}, "a/c", false},
    // Classes.
    {{"[a-c].txt"}, "b.txt", true},
    {{"[a-c].txt"}, "d.txt", false},
    {{"[^a].txt"}, "b.txt", true},
    {{"[^a].txt"}, "a.txt", false},
    {{"[a-z]*"}, "Makefile", false},
    {{"[a-z]*"}, "makefile", true},
    {{"[\\]]x"}, "]x", true},
    // Escapes.
    {{"file\\*"}, "file*", true},
    {{"file\\*"}, "file1", false},
    {{"\\[x\\]"}, "[x]", true},
    {{"\\#hash"}, "#hash", true},
    // "**" at the start, in the middle and at the end.
    {{"**/*.go"}, "main.go", true},
    {{"**/*.go"}, "a/b/main.go", true},
    {{"**/vendor"}, "vendor", true},
    {{"**/vendor"}, "x/y/vendor", true},
    {{"**/vendor"}, "x/vendor/lib.go", true},
    {{"**/vendor"}, "xvendor", false},
    {{"**vendor"}, "a/myvendor/f", true},  // patternmatcher's suffix test
    {{"a/**/b"}, "a/b", true},
    {{"a/**/b"}, "a/x/y/b", true},
    {{"a/**/b"}, "a/xb", false},
    {{"a/**"}, "a/x/y", true},
    {{"a/**"}, "a", false},
    {{"docs**"}, "docs2/x", true},
    {{"**"}, "any/thing/at/all", true},
    {{"a/**/"}, "a/x", true},
    // A pattern that matches a parent directory excludes what is below.
    {{"build"}, "build/out/a.o", true},
    {{"x.txt"}, "x.txt/child", true},
    {{"*.txt"}, "dir.txt/inner/file", true},
    {{"node_modules"}, "src/node_modules/x", false},
    {{"a/b"}, "a", false},
    // Exceptions and their order: the last matching line decides.
    {{"*.md", "!README.md"}, "README.md", false},
    {{"*.md", "!README.md"}, "CHANGES.md", true},
    {{"!README.md", "*.md"}, "README.md", true},
    {{"docs", "!docs/keep.md"}, "docs/keep.md", false},
    {{"docs", "!docs/keep.md"}, "docs/other.md", true},
    {{"docs", "!docs/keep.md", "docs/*.md"}, "docs/keep.md", true},
    {{"*", "!src", "src/*.tmp"}, "src/a.go", false},
    {{"*", "!src", "src/*.tmp"}, "src/a.tmp", true},
    {{"*", "!src", "src/*.tmp"}, "other", true},
    {{"**/*.log", "!important/**"}, "important/x.log", false},
    {{"**/*.log", "!important/**"}, "logs/x.log", true},
    {{"!x"}, "x", false},
    // Pattern cleaning: trailing '/', leading '/' or './', "..", "//".
    {{"build/"}, "build/x", true},
    {{"/abs/path"}, "abs/path", true},
    {{"./rel"}, "rel", true},
    {{"a/../b"}, "b", true},
    {{"a/../b"}, "a/b", false},
    {{"a//b/./c"}, "a/b/c", true},
    {{"!/abs/keep", "abs"}, "abs/keep", true},
    {{"abs", "! /abs/keep"}, "abs/keep", false},
    // Comments, whitespace and blank lines.
    {{"# comment", "x"}, "# comment", false},
    {{"# comment", "x"}, "x", true},
    {{"  # not a comment"}, "# not a comment", true},
    {{"  spaced.txt\t "}, "spaced.txt", true},
    {{"", "   ", "\t"}, "x", false},
    // The queried path is cleaned; the context root is never excluded.
    {{"a/b"}, "./a//b", true},
    {{"*"}, ".", false},
    {{"*"}, "", false},
    // No special case for the build files themselves.
    {{".dockerignore", "Dockerfile"}, "Dockerfile", true},
    {{".dockerignore", "Dockerfile"}, ".dockerignore", true},
};

TEST(IgnoreMatcherTest, MatchesLikeDocker) {
  for (const MatchCase& c : kMatchCases) {
    SCOPED_TRACE(
        absl::StrCat("[", absl::StrJoin(c.lines, " | "), "] ", c.path));
    EXPECT_EQ(MustParse(c.lines).Matches(c.path), c.excluded);
  }
}

TEST(IgnoreMatcherTest, ReadsLinesAsDockerDoes) {
  absl::StatusOr<IgnoreMatcher> m = IgnoreMatcher::Parse(
      "\xEF\xBB\xBF"
      "first\r\n# c\n/abs/../x/\n! ./keep\n  **/tmp  \nlast");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_THAT(m->patterns(),
              ElementsAre("first", "x", "!keep", "**/tmp", "last"));
  EXPECT_EQ(m->source(), ".dockerignore");
  EXPECT_TRUE(m->Matches("first"));
  EXPECT_TRUE(m->Matches("last"));
  EXPECT_FALSE(IgnoreMatcher().Matches("anything"));
  EXPECT_TRUE(IgnoreMatcher().empty());
}

TEST(IgnoreMatcherTest, BadPatternsNameTheLine) {
  struct ErrorCase {
    const char* content;
    const char* message;
  };
  const std::vector<ErrorCase> cases = {
      {"ok\n# fine\n!", ".dockerignore:3: illegal exclusion pattern: \"!\""},
      {"! ", ".dockerignore:1: illegal exclusion pattern: \"!\""},
      // ReadAll keeps "/" and New cleans "!/" to "!".
      {"!/", ".dockerignore:1: illegal exclusion pattern: \"!\""},
      {"x\na[", ".dockerignore:2: syntax error in pattern \"a[\""},
      {"[]", ".dockerignore:1: syntax error in pattern \"[]\""},
      {"[a-]", ".dockerignore:1: syntax error in pattern"},
      {"[z-a]", "reversed range"},
      {"x\\", ".dockerignore:1: syntax error in pattern \"x\\\\\""},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.content);
    absl::StatusOr<IgnoreMatcher> m = IgnoreMatcher::Parse(c.content);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(m.status().message(), HasSubstr(c.message));
  }
}

TEST(IgnoreMatcherTest, FromPatternsForCopyExclude) {
  absl::StatusOr<IgnoreMatcher> m =
      IgnoreMatcher::FromPatterns({"*.tmp", " ", "!keep.tmp"});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE(m->Matches("a.tmp"));
  EXPECT_FALSE(m->Matches("keep.tmp"));
  EXPECT_EQ(m->source(), "");

  m = IgnoreMatcher::FromPatterns({"ok", "bad["});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(m.status().message(), HasSubstr("pattern 2: syntax error"));
}

struct SkipCase {
  Lines lines;
  const char* dir;
  bool skip;
};

TEST(IgnoreMatcherTest, CanSkipDirOnlyWhenNothingBelowComesBack) {
  const std::vector<SkipCase> cases = {
      {{"build"}, "build", true},
      {{"build"}, "src", false},
      {{"build"}, ".", false},
      {{"build", "!build/keep.txt"}, "build", false},
      {{"build", "!build/keep.txt"}, "build/sub", true},
      {{"build", "!**/keep"}, "build", false},
      {{"build", "!*/keep"}, "build", false},
      {{"build", "!*/keep"}, "build/x", true},
      {{"build", "!bu*"}, "build", false},  // re-includes build itself
      {{"*", "!src"}, "docs", true},
      {{"*", "!src"}, "src", false},
      {{"!keep", "build"}, "build", true},
      {{"build/**", "!build/a/**"}, "build/b", true},
      {{"build/**", "!build/a/**"}, "build/a", false},
      {{"build", "!build/[ab]/x"}, "build/a", false},
      {{"build", "!build/[ab]/x"}, "build/c", true},
  };
  for (const SkipCase& c : cases) {
    SCOPED_TRACE(absl::StrCat("[", absl::StrJoin(c.lines, " | "), "] ", c.dir));
    EXPECT_EQ(MustParse(c.lines).CanSkipDir(c.dir), c.skip);
  }
}

// Whenever a directory may be skipped, every path below it must really be
// excluded. Checked over every directory of a small tree for many rule sets.
TEST(IgnoreMatcherTest, SkippingNeverHidesAnIncludedPath) {
  const std::vector<Lines> rule_sets = {
      {"a"},
      {"a", "!a/b/keep"},
      {"*", "!a/**/keep"},
      {"a/**", "!a/*/k*"},
      {"**/b", "!a/b/c"},
      {"a", "!a/b", "a/b/c"},
      {"*/b", "!*/b/keep", "a/b/keep/x"},
      {"a?", "![a-z]*/c"},
  };
  const std::vector<std::string> paths = {
      "a",       "a/b",       "a/b/c",       "a/b/keep", "a/b/keep/x",
      "a/c",     "a/c/keep",  "a/kx",        "ab",       "ab/c",
      "ab/keep", "x",         "x/b",         "x/b/c",    "x/b/keep",
      "x/keep",  "a/b/c/d/e", "a/b/c/d/keep"};
  for (const Lines& rules : rule_sets) {
    const IgnoreMatcher m = MustParse(rules);
    int skipped = 0;
    for (const std::string& dir : paths) {
      if (!m.CanSkipDir(dir)) continue;
      ++skipped;
      for (const std::string& path : paths) {
        if (!absl::StartsWith(path, dir + "/")) continue;
        EXPECT_TRUE(m.Matches(path))
            << absl::StrJoin(rules, " | ") << ": skipping " << dir
            << " hides included " << path;
      }
    }
    EXPECT_GT(skipped, 0) << absl::StrJoin(rules, " | ");
  }
}

class LoadIgnoreFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dir = MakeTempDir("dockerignore_test");
    ASSERT_TRUE(dir.ok()) << dir.status();
    ctx_ = *dir;
  }
  void TearDown() override { ASSERT_TRUE(RemoveAll(ctx_).ok()); }

  void Write(const std::string& rel, absl::string_view content) {
    const std::string path = JoinPath(ctx_, rel);
    ASSERT_TRUE(MakeDirs(DirName(path)).ok());
    ASSERT_TRUE(WriteFile(path, content).ok());
  }

  std::string ctx_;
};

TEST_F(LoadIgnoreFileTest, NoFileIgnoresNothing) {
  absl::StatusOr<IgnoreMatcher> m = LoadIgnoreFile(ctx_, "");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE(m->empty());
  EXPECT_EQ(m->source(), "");
}

TEST_F(LoadIgnoreFileTest, ContextDockerignore) {
  Write(".dockerignore", "*.log\n");
  absl::StatusOr<IgnoreMatcher> m =
      LoadIgnoreFile(ctx_, JoinPath(ctx_, "Dockerfile"));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->source(), JoinPath(ctx_, ".dockerignore"));
  EXPECT_TRUE(m->Matches("x.log"));
}

TEST_F(LoadIgnoreFileTest, DockerfileSpecificFileTakesPrecedence) {
  Write(".dockerignore", "*.log\n");
  Write("ci/build.Dockerfile.dockerignore", "*.tmp\n");
  absl::StatusOr<IgnoreMatcher> m =
      LoadIgnoreFile(ctx_, JoinPath(ctx_, "ci/build.Dockerfile"));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->source(), JoinPath(ctx_, "ci/build.Dockerfile.dockerignore"));
  EXPECT_TRUE(m->Matches("x.tmp"));
  EXPECT_FALSE(m->Matches("x.log"));

  // Another Dockerfile in the same context falls back to .dockerignore.
  m = LoadIgnoreFile(ctx_, JoinPath(ctx_, "ci/other.Dockerfile"));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE(m->Matches("x.log"));
  EXPECT_FALSE(m->Matches("x.tmp"));
}

TEST_F(LoadIgnoreFileTest, DefaultDockerfileName) {
  Write(".dockerignore", "*.log\n");
  Write("Dockerfile.dockerignore", "only-this\n");
  absl::StatusOr<IgnoreMatcher> m = LoadIgnoreFile(ctx_, "");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_THAT(m->patterns(), ElementsAre("only-this"));
}

TEST_F(LoadIgnoreFileTest, ErrorsNameTheFile) {
  Write(".dockerignore", "ok\nbad[\n");
  absl::StatusOr<IgnoreMatcher> m = LoadIgnoreFile(ctx_, "");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(m.status().message(),
              HasSubstr(JoinPath(ctx_, ".dockerignore") + ":2: syntax error"));

  // A directory where the file should be is a read error, not "no file".
  ASSERT_TRUE(RemoveAll(JoinPath(ctx_, ".dockerignore")).ok());
  ASSERT_TRUE(MakeDirs(JoinPath(ctx_, ".dockerignore")).ok());
  m = LoadIgnoreFile(ctx_, "");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(m.status().message(), HasSubstr(".dockerignore"));
}

}  // namespace
}  // namespace farm::dockerfile
