#include "client/context/context_blob_source.h"

#include "client/context/context_walker.h"
#include "client/context/test_tree.h"
#include "common/digest.h"
#include "common/io.h"
#include "gtest/gtest.h"

namespace farm::client::context {
namespace {

std::string D(const std::string& s) { return Digest::Of(s).ToString(); }

TEST(ContextBlobSourceTest, ServesTheBytesOfTheFile) {
  TempTree tree;
  std::string big(3 << 20, 'q');
  big[12345] = 'z';
  tree.Write("big.bin", big);
  tree.Write("empty", "");
  ContextSnapshot snap = WalkTree(tree);
  ContextBlobSource source(snap);
  for (const std::string& content : {big, std::string()}) {
    auto reader = source.Open(D(content));
    ASSERT_TRUE(reader.ok()) << reader.status();
    auto data = ReadAll(**reader);
    ASSERT_TRUE(data.ok()) << data.status();
    EXPECT_TRUE(*data == content);
  }
}

TEST(ContextBlobSourceTest, UnknownDigestIsNotFound) {
  TempTree tree;
  tree.Write("a", "a");
  ContextSnapshot snap = WalkTree(tree);
  ContextBlobSource source(snap);
  auto reader = source.Open(D("not there"));
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(reader.status().message(),
            "blob " + D("not there") + " is not in the build context");
}

TEST(ContextBlobSourceTest, FileChangedAfterTheWalkFailsClearly) {
  TempTree tree;
  tree.Write("src/app.py", "print(1)\n");
  ContextSnapshot snap = WalkTree(tree);
  ContextBlobSource source(snap);
  tree.Write("src/app.py", "print(22)\n");
  auto reader = source.Open(D("print(1)\n"));
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(reader.status().message(),
            "file src/app.py changed during the build");
}

TEST(ContextBlobSourceTest, SameSizeAndMtimeChangeIsCaughtByTheDigest) {
  TempTree tree;
  tree.Write("a.txt", "aaaa");
  tree.SetMtime("a.txt", 1600000000000000000);
  ContextSnapshot snap = WalkTree(tree);
  ContextBlobSource source(snap);
  tree.Write("a.txt", "bbbb");
  tree.SetMtime("a.txt", 1600000000000000000);
  auto reader = source.Open(D("aaaa"));
  ASSERT_TRUE(reader.ok()) << reader.status();
  char buf[16];
  auto n = (*reader)->Read(buf, sizeof(buf));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 4u);
  auto end = (*reader)->Read(buf, sizeof(buf));
  EXPECT_EQ(end.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(end.status().message(), "file a.txt changed during the build");
  // The error sticks.
  EXPECT_FALSE((*reader)->Read(buf, sizeof(buf)).ok());
}

TEST(ContextBlobSourceTest, FallsBackToAnotherFileWithTheSameContent) {
  TempTree tree;
  tree.Write("one", "same");
  tree.Write("two", "same");
  ContextSnapshot snap = WalkTree(tree);
  ASSERT_EQ(FilesByDigest(snap)[D("same")].size(), 2u);
  ContextBlobSource source(snap);
  tree.Write("one", "different");
  auto reader = source.Open(D("same"));
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto data = ReadAll(**reader);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(*data, "same");
}

}  // namespace
}  // namespace farm::client::context
