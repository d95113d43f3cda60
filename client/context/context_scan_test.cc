#include "client/context/context_scan.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/context/test_tree.h"
#include "gtest/gtest.h"

namespace farm::client::context {
namespace {

std::vector<std::string> Paths(const std::vector<ScannedEntry>& entries) {
  std::vector<std::string> out;
  for (const ScannedEntry& e : entries) out.push_back(e.path);
  return out;
}

dockerfile::IgnoreMatcher Rules(const std::string& text) {
  absl::StatusOr<dockerfile::IgnoreMatcher> m =
      dockerfile::IgnoreMatcher::Parse(text);
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *m : dockerfile::IgnoreMatcher();
}

const ScannedEntry* Find(const std::vector<ScannedEntry>& entries,
                         const std::string& path) {
  for (const ScannedEntry& e : entries) {
    if (e.path == path) return &e;
  }
  return nullptr;
}

// More directories than the scan lets wait open at once (256), wide and
// deep, with an excluded one re-included below: every entry once, sorted,
// parents first.
TEST(ContextScanTest, ManyDirectoriesScanInParallelToTheSameList) {
  TempTree tree;
  std::vector<std::string> expected;
  for (int i = 0; i < 300; ++i) {
    const std::string dir = absl::StrCat("wide/d", 1000 + i);
    tree.Write(dir + "/f", "x");
    expected.push_back(dir);
    expected.push_back(dir + "/f");
  }
  std::string deep = "deep";
  for (int i = 0; i < 40; ++i) {
    deep += "/n";
    expected.push_back(deep);
  }
  tree.Write(deep + "/leaf", "y");
  expected.push_back(deep + "/leaf");
  tree.Write("skipped/inner/keep.txt", "k");
  tree.Write("skipped/inner/drop.txt", "d");
  expected.push_back("skipped");
  expected.push_back("skipped/inner");
  expected.push_back("skipped/inner/keep.txt");
  expected.push_back("wide");
  expected.push_back("deep");
  std::sort(expected.begin(), expected.end());
  ScanCounts counts;
  auto entries =
      ScanContext(tree.root(), Rules("skipped\n!skipped/inner/keep.txt\n"),
                  &counts);
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_EQ(Paths(*entries), expected);
  EXPECT_GE(counts.ignored, 2);  // skipped/inner/drop.txt, skipped itself
}

TEST(ContextScanTest, AppliesIgnoreRulesWithExceptions) {
  TempTree tree;
  tree.Write(".dockerignore", "*.log\nlogs\n!logs/keep.log\nnode_modules\n");
  tree.Write("a.txt", "a");
  tree.Write("b.log", "b");
  tree.Write("docs/readme.md", "r");
  tree.Write("logs/x.log", "x");
  tree.Write("logs/keep.log", "k");
  tree.Write("logs/deeper/y.txt", "y");
  tree.Write("node_modules/m/index.js", "js");
  ScanCounts counts;
  auto entries = ScanContext(
      tree.root(), Rules("*.log\nlogs\n!logs/keep.log\nnode_modules\n"),
      &counts);
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_EQ(Paths(*entries), (std::vector<std::string>{
                                 ".dockerignore", "a.txt", "docs",
                                 "docs/readme.md", "logs", "logs/keep.log"}));
  // At least b.log, logs (descended, then listed for keep.log),
  // logs/deeper, logs/x.log and the pruned node_modules; whether
  // logs/deeper is pruned or walked is the matcher's choice.
  EXPECT_GE(counts.ignored, 5);
  // The excluded parent carries its real stat.
  const ScannedEntry* logs = Find(*entries, "logs");
  ASSERT_NE(logs, nullptr);
  EXPECT_EQ(logs->type, proto::ContextEntry::DIRECTORY);
  EXPECT_EQ(logs->st.st_mode & 07777, 0755);
}

TEST(ContextScanTest, ExcludedDirectoryWithNothingReincludedIsLeftOut) {
  TempTree tree;
  tree.Write("logs/x.log", "x");
  tree.Write("keep.txt", "k");
  auto entries =
      ScanContext(tree.root(), Rules("logs\n!logs/keep.log\n"), nullptr);
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_EQ(Paths(*entries), std::vector<std::string>{"keep.txt"});
}

TEST(ContextScanTest, KeepsSymlinksAsStoredWithoutFollowing) {
  TempTree tree;
  tree.Write("dir/file", "f");
  tree.Symlink("to-file", "dir/file");
  tree.Symlink("to-dir", "dir");
  tree.Symlink("absolute", "/etc/passwd");
  tree.Symlink("dangling", "../../nowhere");
  auto entries = ScanContext(tree.root(), {}, nullptr);
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_EQ(Paths(*entries),
            (std::vector<std::string>{"absolute", "dangling", "dir", "dir/file",
                                      "to-dir", "to-file"}));
  EXPECT_EQ(Find(*entries, "absolute")->link_target, "/etc/passwd");
  EXPECT_EQ(Find(*entries, "dangling")->link_target, "../../nowhere");
  EXPECT_EQ(Find(*entries, "to-dir")->type, proto::ContextEntry::SYMLINK);
  EXPECT_EQ(Find(*entries, "to-dir")->link_target, "dir");
}

TEST(ContextScanTest, KeepsModesAndEmptyDirectoriesAndSkipsSpecialFiles) {
  TempTree tree;
  tree.Write("setuid", "x", 04755);
  tree.Write("private", "x", 0600);
  tree.MakeDir("shared", 02775);
  tree.MakeDir("tmp", 01777);
  tree.MakeDir("empty/nested", 0700);
  ASSERT_EQ(mkfifo(tree.Path("fifo").c_str(), 0644), 0);
  ScanCounts counts;
  auto entries = ScanContext(tree.root(), {}, &counts);
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_EQ(Paths(*entries),
            (std::vector<std::string>{"empty", "empty/nested", "private",
                                      "setuid", "shared", "tmp"}));
  EXPECT_EQ(counts.special, 1);
  EXPECT_EQ(Find(*entries, "setuid")->st.st_mode & 07777, 04755);
  EXPECT_EQ(Find(*entries, "private")->st.st_mode & 07777, 0600);
  EXPECT_EQ(Find(*entries, "shared")->st.st_mode & 07777, 02775);
  EXPECT_EQ(Find(*entries, "tmp")->st.st_mode & 07777, 01777);
  EXPECT_EQ(Find(*entries, "empty/nested")->type,
            proto::ContextEntry::DIRECTORY);
}

TEST(ContextScanTest, SortsByPathBytesWithDirectoriesBeforeContents) {
  TempTree tree;
  tree.Write("a/c", "1");
  tree.Write("a-b", "2");
  tree.Write("a.d/e", "3");
  auto entries = ScanContext(tree.root(), {}, nullptr);
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_EQ(Paths(*entries),
            (std::vector<std::string>{"a", "a-b", "a.d", "a.d/e", "a/c"}));
}

TEST(ContextScanTest, RejectsMissingOrNonDirectoryContext) {
  TempTree tree;
  tree.Write("file", "x");
  auto missing = ScanContext(tree.Path("nope"), {}, nullptr);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find(tree.Path("nope")),
            std::string::npos)
      << missing.status();
  auto file = ScanContext(tree.Path("file"), {}, nullptr);
  EXPECT_EQ(file.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(file.status().message(),
            "the build context " + tree.Path("file") + " is not a directory");
}

}  // namespace
}  // namespace farm::client::context
