#include "worker/fileops/directory_tree.h"

#include <unistd.h>

#include "common/fs.h"
#include "dockerfile/source_selector.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "worker/fileops/fileops_test_util.h"

namespace farm::fileops {
namespace {

using dockerfile::SourceStat;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class DirectoryTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = *MakeTempDir("directory_tree");
    ASSERT_TRUE(MakeDirs(tmp_ + "/ctx").ok());
    ASSERT_TRUE(WriteFile(tmp_ + "/secret", "host file").ok());
    testing::BuildTree(
        tmp_ + "/ctx",
        {"d d 0750 12:34", "f d/b 0640 5:6 bee", "f d/a 0644 0:0 a",
         "l out ../secret", "l abs /secret", "l inside d", "f top 4755 0:0 t"});
    tree_ =
        std::make_unique<DirectoryTree>(*DirectoryTree::Open(tmp_ + "/ctx"));
  }
  void TearDown() override { ASSERT_TRUE(RemoveAll(tmp_).ok()); }

  std::string tmp_;
  std::unique_ptr<DirectoryTree> tree_;
};

TEST_F(DirectoryTreeTest, StatsEntriesWithoutFollowingSymlinks) {
  SourceStat d = *tree_->Lstat("d");
  EXPECT_EQ(d.type, SourceStat::Type::kDirectory);
  EXPECT_EQ(d.mode, 0750u);
  EXPECT_EQ(d.uid, 12u);
  EXPECT_EQ(d.gid, 34u);
  SourceStat b = *tree_->Lstat("d/b");
  EXPECT_EQ(b.type, SourceStat::Type::kFile);
  EXPECT_EQ(b.size, 3);
  EXPECT_EQ(tree_->Lstat("top")->mode, 04755u);
  SourceStat out = *tree_->Lstat("out");
  EXPECT_EQ(out.type, SourceStat::Type::kSymlink);
  EXPECT_EQ(out.link_target, "../secret");
  EXPECT_EQ(*tree_->ReadLink("abs"), "/secret");
  EXPECT_EQ(tree_->Lstat("")->type, SourceStat::Type::kDirectory);
  EXPECT_THAT(*tree_->List("d"), ElementsAre("a", "b"));
  EXPECT_THAT(*tree_->List(""),
              ElementsAre("abs", "d", "inside", "out", "top"));
}

TEST_F(DirectoryTreeTest, NeverLeavesTheDirectory) {
  // A symlink on the way is as good as absent; so is "..".
  for (const char* p : {"inside/a", "out/x", "../secret", "d/../../secret"}) {
    absl::StatusOr<SourceStat> st = tree_->Lstat(p);
    EXPECT_EQ(st.status().code(), absl::StatusCode::kNotFound) << p;
  }
  EXPECT_EQ(tree_->OpenFile("out").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(tree_->OpenFile("d").status().code(),
            absl::StatusCode::kFailedPrecondition);
  absl::Status s = tree_->List("missing").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("\"missing\""));
}

TEST_F(DirectoryTreeTest, SelectorFollowsSymlinksInsideOnly) {
  // The selector resolves "abs" and "out" inside the tree, where they point
  // at nothing.
  absl::StatusOr<dockerfile::Selection> sel =
      dockerfile::SelectSources(*tree_, {"inside"});
  ASSERT_TRUE(sel.ok()) << sel.status();
  EXPECT_EQ(sel->sources[0].path, "d");
  EXPECT_EQ(sel->sources[0].name, "inside");
  EXPECT_EQ(dockerfile::SelectSources(*tree_, {"abs"}).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(dockerfile::SelectSources(*tree_, {"out"}).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace farm::fileops
