// Docker's COPY source rules, exercised over a context manifest.
#include <algorithm>

#include "common/digest.h"
#include "dockerfile/source_selector.h"
#include "gtest/gtest.h"
#include "planner/manifest_tree.h"

namespace farm::planner {
namespace {

using dockerfile::Selection;
using dockerfile::SelectSources;

proto::ContextEntry* Add(proto::ContextManifest& m, const std::string& path,
                         proto::ContextEntry::Type type,
                         const std::string& link = "") {
  proto::ContextEntry* e = m.add_entries();
  e->set_path(path);
  e->set_type(type);
  e->set_mode(type == proto::ContextEntry::DIRECTORY ? 0755 : 0644);
  if (type == proto::ContextEntry::FILE) {
    e->set_digest(Digest::Of(path).ToString());
  }
  e->set_link_target(link);
  return e;
}

proto::ContextManifest Sample() {
  proto::ContextManifest m;
  Add(m, "a.txt", proto::ContextEntry::FILE);
  Add(m, "b.txt", proto::ContextEntry::FILE);
  Add(m, "c.md", proto::ContextEntry::FILE);
  Add(m, "dir", proto::ContextEntry::DIRECTORY);
  Add(m, "dir/x.txt", proto::ContextEntry::FILE);
  Add(m, "dir/sub", proto::ContextEntry::DIRECTORY);
  Add(m, "dir/sub/y", proto::ContextEntry::FILE);
  Add(m, "link-to-a", proto::ContextEntry::SYMLINK, "a.txt");
  Add(m, "abs-link", proto::ContextEntry::SYMLINK, "/dir/x.txt");
  Add(m, "escape", proto::ContextEntry::SYMLINK, "../../../etc/passwd");
  Add(m, "dirlink", proto::ContextEntry::SYMLINK, "dir");
  Add(m, "loop", proto::ContextEntry::SYMLINK, "loop");
  Add(m, "implied/deep/file", proto::ContextEntry::FILE);
  return m;
}

std::vector<std::string> Paths(const Selection& s) {
  std::vector<std::string> out;
  for (const auto& src : s.sources) out.push_back(src.path + "=" + src.name);
  return out;
}

TEST(SourceSelectionTest, PlainFileAndDirectory) {
  proto::ContextManifest m = Sample();
  ManifestTree tree(m);
  auto sel = SelectSources(tree, {"a.txt"});
  ASSERT_TRUE(sel.ok()) << sel.status();
  EXPECT_FALSE(sel->many);
  EXPECT_EQ(Paths(*sel), std::vector<std::string>{"a.txt=a.txt"});
  auto dir = SelectSources(tree, {"./dir/"});
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(dir->sources[0].stat.type,
            dockerfile::SourceStat::Type::kDirectory);
  auto root = SelectSources(tree, {"."});
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(Paths(*root), std::vector<std::string>{"="});
}

TEST(SourceSelectionTest, WildcardsMatchPerComponentSorted) {
  proto::ContextManifest m = Sample();
  ManifestTree tree(m);
  auto sel = SelectSources(tree, {"*.txt"});
  ASSERT_TRUE(sel.ok()) << sel.status();
  EXPECT_TRUE(sel->many);
  EXPECT_EQ(Paths(*sel),
            (std::vector<std::string>{"a.txt=a.txt", "b.txt=b.txt"}));
  auto nested = SelectSources(tree, {"d?r/*.txt"});
  ASSERT_TRUE(nested.ok());
  EXPECT_EQ(Paths(*nested), std::vector<std::string>{"dir/x.txt=x.txt"});
  auto cls = SelectSources(tree, {"[ab].txt", "c.*"});
  ASSERT_TRUE(cls.ok());
  EXPECT_EQ(cls->sources.size(), 3u);
}

TEST(SourceSelectionTest, SymlinksNamedAsSourcesAreFollowedInside) {
  proto::ContextManifest m = Sample();
  ManifestTree tree(m);
  auto sel = SelectSources(tree, {"link-to-a", "abs-link", "dirlink/sub/y"});
  ASSERT_TRUE(sel.ok()) << sel.status();
  EXPECT_EQ(Paths(*sel),
            (std::vector<std::string>{"a.txt=link-to-a", "dir/x.txt=abs-link",
                                      "dir/sub/y=y"}));
  // "../../../etc/passwd" from the root stays at the root: /etc/passwd of
  // the context, which does not exist.
  auto escape = SelectSources(tree, {"escape"});
  EXPECT_EQ(escape.status().code(), absl::StatusCode::kNotFound);
  auto loop = SelectSources(tree, {"loop"});
  EXPECT_EQ(loop.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(loop.status().message().find("too many levels"), std::string::npos);
}

TEST(SourceSelectionTest, DotDotNeverLeavesTheContext) {
  proto::ContextManifest m = Sample();
  ManifestTree tree(m);
  auto sel = SelectSources(tree, {"../../a.txt"});
  ASSERT_TRUE(sel.ok()) << sel.status();
  EXPECT_EQ(Paths(*sel), std::vector<std::string>{"a.txt=a.txt"});
  auto missing = SelectSources(tree, {"../secret"});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "\"/secret\": not found");
}

TEST(SourceSelectionTest, MissingSourcesAndEmptyWildcardsAreNotFound) {
  proto::ContextManifest m = Sample();
  ManifestTree tree(m);
  // A wildcard may match nothing in a directory that exists...
  auto none = SelectSources(tree, {"*.go"});
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->sources.empty());
  EXPECT_TRUE(none->many);
  // ...but not below one that does not.
  auto nodir = SelectSources(tree, {"nodir/*.go"});
  EXPECT_EQ(nodir.status().message(), "\"/nodir/*.go\": not found");
  auto missing = SelectSources(tree, {"a.txt", "nope/x"});
  EXPECT_EQ(missing.status().message(), "\"/nope/x\": not found");
}

TEST(SourceSelectionTest, ImpliedDirectoriesAndWalkOrder) {
  proto::ContextManifest m = Sample();
  ManifestTree tree(m);
  auto sel = SelectSources(tree, {"dir"});
  ASSERT_TRUE(sel.ok());
  std::vector<std::string> seen;
  ASSERT_TRUE(dockerfile::WalkSource(
                  tree, sel->sources[0],
                  [&](const std::string& rel, const dockerfile::SourceStat&) {
                    seen.push_back(rel);
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"", "sub", "sub/y", "x.txt"}));
  auto implied = SelectSources(tree, {"implied/deep"});
  ASSERT_TRUE(implied.ok()) << implied.status();
  EXPECT_EQ(implied->sources[0].stat.mode, 0755u);
}

// One directory of 300,000 files, its parent only implied: each name is
// listed under its parent once, found by a set rather than by a scan of
// the names before it (that scan took minutes here, past the timeout).
TEST(SourceSelectionTest, AHugeDirectoryIsListedInLinearTime) {
  proto::ContextManifest m;
  constexpr int kFiles = 300000;
  for (int i = 0; i < kFiles; ++i) {
    Add(m, "big/f" + std::to_string(i), proto::ContextEntry::FILE);
  }
  ManifestTree tree(m);
  absl::StatusOr<std::vector<std::string>> names = tree.List("big");
  ASSERT_TRUE(names.ok()) << names.status();
  ASSERT_EQ(names->size(), static_cast<size_t>(kFiles));
  EXPECT_TRUE(std::is_sorted(names->begin(), names->end()));
  EXPECT_EQ(tree.List("")->size(), 1u);
}

}  // namespace
}  // namespace farm::planner
