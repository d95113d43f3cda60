#include "scheduler/context_subset.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "planner/manifest_tree.h"
#include "scheduler/context_testing.h"

namespace farm::scheduler {
namespace {

using testing::ContextBuilder;

// The paths of the entries `paths` select in `manifest`, in manifest order;
// a failure fails the test.
std::vector<std::string> Selected(const proto::ContextManifest& manifest,
                                  const std::vector<std::string>& paths) {
  absl::StatusOr<proto::ContextManifest> subset =
      ContextSubset(manifest, paths);
  EXPECT_TRUE(subset.ok()) << subset.status();
  std::vector<std::string> out;
  if (!subset.ok()) return out;
  for (const proto::ContextEntry& entry : subset->entries()) {
    out.push_back(entry.path());
  }
  return out;
}

using Paths = std::vector<std::string>;

proto::ContextManifest Project() {
  return ContextBuilder()
      .File("README.md", "readme")
      .Dir("app")
      .File("app/main.c", "int main;")
      .File("app/util.c", "int util;")
      .File("app/util.h", "int util();")
      .Dir("app/vendor")
      .File("app/vendor/lib.c", "lib")
      .Dir("docs")
      .File("docs/guide.md", "guide")
      .Build();
}

TEST(ContextSubsetTest, AFileBringsItsDirectoriesButNotItsNeighbours) {
  EXPECT_EQ(Selected(Project(), {"app/main.c"}), (Paths{"app", "app/main.c"}));
}

TEST(ContextSubsetTest, ADirectoryBringsEverythingBelowIt) {
  EXPECT_EQ(Selected(Project(), {"app"}),
            (Paths{"app", "app/main.c", "app/util.c", "app/util.h",
                   "app/vendor", "app/vendor/lib.c"}));
}

TEST(ContextSubsetTest, TheRootBringsTheWholeContext) {
  proto::ContextManifest manifest = Project();
  std::vector<std::string> all;
  for (const proto::ContextEntry& entry : manifest.entries()) {
    all.push_back(entry.path());
  }
  EXPECT_EQ(Selected(manifest, {"."}), all);
}

TEST(ContextSubsetTest, AWildcardBringsItsMatchesOnly) {
  EXPECT_EQ(Selected(Project(), {"app/*.c"}),
            (Paths{"app", "app/main.c", "app/util.c"}));
  // A wildcard over directories stats every name it tries, so those
  // entries come along (the worker then tries the same names), but nothing
  // inside a directory where nothing matches.
  EXPECT_EQ(Selected(Project(), {"*/*.md"}),
            (Paths{"README.md", "app", "docs", "docs/guide.md"}));
}

TEST(ContextSubsetTest, SeveralPathsGiveOneSubsetInManifestOrder) {
  EXPECT_EQ(Selected(Project(), {"docs", "README.md", "app/util.h"}),
            (Paths{"README.md", "app", "app/util.h", "docs", "docs/guide.md"}));
  // A path named twice is one entry.
  EXPECT_EQ(Selected(Project(), {"README.md", "./README.md"}),
            (Paths{"README.md"}));
}

TEST(ContextSubsetTest, ANamedSymlinkBringsItsTargetToo) {
  proto::ContextManifest manifest = ContextBuilder()
                                        .Dir("conf")
                                        .File("conf/real.ini", "x")
                                        .Symlink("current.ini", "conf/real.ini")
                                        .File("other", "y")
                                        .Build();
  EXPECT_EQ(Selected(manifest, {"current.ini"}),
            (Paths{"conf", "conf/real.ini", "current.ini"}));
}

TEST(ContextSubsetTest, ASymlinkInsideACopiedDirectoryIsNotFollowed) {
  proto::ContextManifest manifest = ContextBuilder()
                                        .Dir("app")
                                        .Symlink("app/link", "../secret")
                                        .File("secret", "s")
                                        .Build();
  EXPECT_EQ(Selected(manifest, {"app"}), (Paths{"app", "app/link"}));
}

TEST(ContextSubsetTest, DotDotAndAbsolutePathsStayInsideTheContext) {
  proto::ContextManifest manifest = Project();
  EXPECT_EQ(Selected(manifest, {"../../README.md"}), (Paths{"README.md"}));
  EXPECT_EQ(Selected(manifest, {"/app/main.c"}), (Paths{"app", "app/main.c"}));
  EXPECT_EQ(Selected(manifest, {"app/../docs/guide.md"}),
            (Paths{"docs", "docs/guide.md"}));
  // Climbing above the root lands on the root, never outside it.
  absl::StatusOr<proto::ContextManifest> outside =
      ContextSubset(manifest, {"../../etc/passwd"});
  ASSERT_EQ(outside.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(outside.status().message(), "\"/etc/passwd\": not found");
}

TEST(ContextSubsetTest, ASymlinkOutOfTheContextResolvesInsideIt) {
  proto::ContextManifest manifest = ContextBuilder()
                                        .Dir("etc")
                                        .File("etc/passwd", "ours")
                                        .Symlink("escape", "../../etc/passwd")
                                        .File("other", "y")
                                        .Build();
  EXPECT_EQ(Selected(manifest, {"escape"}),
            (Paths{"etc", "etc/passwd", "escape"}));
}

TEST(ContextSubsetTest, AMissingPathIsNotFound) {
  absl::StatusOr<proto::ContextManifest> subset =
      ContextSubset(Project(), {"app/main.c", "nope.txt"});
  ASSERT_EQ(subset.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(subset.status().message(), "\"/nope.txt\": not found");
}

TEST(ContextSubsetTest, EntriesPointIntoTheManifest) {
  proto::ContextManifest manifest = Project();
  planner::ManifestTree tree(manifest);
  absl::StatusOr<std::vector<const proto::ContextEntry*>> entries =
      ContextSubsetEntries(tree, manifest, {"docs"});
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0], &manifest.entries(7));
  EXPECT_EQ((*entries)[1], &manifest.entries(8));
  // The copying form gives the same entries, whole.
  absl::StatusOr<proto::ContextManifest> copied =
      ContextSubset(tree, manifest, {"docs"});
  ASSERT_TRUE(copied.ok()) << copied.status();
  ASSERT_EQ(copied->entries_size(), 2);
  EXPECT_EQ(copied->entries(1).SerializeAsString(),
            manifest.entries(8).SerializeAsString());
}

TEST(ContextSubsetTest, NoPathsSelectNothing) {
  EXPECT_TRUE(Selected(Project(), {}).empty());
}

}  // namespace
}  // namespace farm::scheduler
