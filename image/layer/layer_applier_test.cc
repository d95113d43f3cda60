#include "image/layer/layer_applier.h"

#include <sys/stat.h>
#include <sys/xattr.h>

#include <string>
#include <vector>

#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image/compress/compression.h"
#include "image/layer/tree_snapshot.h"
#include "image/tar/tar_writer.h"

namespace farm::image::layer {
namespace {

using tar::TarEntry;
using tar::TarType;
using ::testing::HasSubstr;

struct M {
  std::string name;
  TarType type = TarType::kRegular;
  std::string data;
  std::string link;
  uint32_t mode = 0644;
};

std::string Tar(const std::vector<M>& members) {
  std::string out;
  StringWriter sink(&out);
  tar::TarWriter w(&sink);
  for (const M& m : members) {
    TarEntry e;
    e.name = m.name;
    // `{}` in the tables below means a regular file.
    e.type = m.type == TarType{} ? TarType::kRegular : m.type;
    e.linkname = m.link;
    e.mode = m.mode;
    e.size = e.type == TarType::kRegular ? m.data.size() : 0;
    e.mtime = 1234567890;
    EXPECT_TRUE(w.WriteHeader(e).ok());
    EXPECT_TRUE(w.WriteData(m.data).ok());
  }
  EXPECT_TRUE(w.Finish().ok());
  return out;
}

M Dir(std::string n, uint32_t mode = 0755) {
  return {std::move(n), TarType::kDirectory, "", "", mode};
}

class LayerApplierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = *MakeTempDir("layer_applier");
    root_ = dir_ + "/root";
    ASSERT_TRUE(MakeDirs(root_).ok());
  }
  void TearDown() override { ASSERT_TRUE(RemoveAll(dir_).ok()); }

  absl::StatusOr<ApplyResult> Apply(const std::string& tar,
                                    ApplyOptions opts = {}) {
    StringReader in(tar);
    return ApplyLayer(&in, root_, opts);
  }
  std::vector<std::string> Paths() {
    std::vector<std::string> out;
    for (const auto& [p, d] : SnapshotTree(root_)) {
      if (p != ".") out.push_back(p);
    }
    return out;
  }

  std::string dir_, root_;
};

const std::vector<M> kLower = {Dir("a/"),
                               {"a/x", {}, "x"},
                               {"a/y", {}, "y"},
                               Dir("b/"),
                               {"b/old", {}, "o"},
                               Dir("b/deep/"),
                               {"b/deep/f", {}, "f"},
                               {"c", {}, "c"}};

TEST_F(LayerApplierTest, WhiteoutsDeleteLowerContent) {
  ASSERT_TRUE(Apply(Tar(kLower)).ok());
  absl::StatusOr<ApplyResult> r = Apply(Tar({{"a/.wh.x"},
                                             {"b/.wh..wh..opq"},
                                             {"b/new", {}, "n"},
                                             {".wh.c"},
                                             {"missing/.wh.thing"}}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Paths(), ::testing::ElementsAre("a", "a/y", "b", "b/new"));
}

TEST_F(LayerApplierTest, OpaqueWhiteoutAfterItsEntriesKeepsThem) {
  ASSERT_TRUE(Apply(Tar(kLower)).ok());
  absl::StatusOr<ApplyResult> r = Apply(Tar({Dir("b/"),
                                             Dir("b/deep/"),
                                             {"b/deep/mine", {}, "m"},
                                             {"b/new", {}, "n"},
                                             {"b/.wh..wh..opq"}}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Paths(), ::testing::ElementsAre("a", "a/x", "a/y", "b", "b/deep",
                                              "b/deep/mine", "b/new", "c"));
}

TEST_F(LayerApplierTest, WhiteoutOfAnEntryOfTheSameLayerKeepsIt) {
  ASSERT_TRUE(Apply(Tar(kLower)).ok());
  // Either order: the layer's own "a/x" survives its whiteout.
  ASSERT_TRUE(Apply(Tar({{"a/x", {}, "mine"}, {"a/.wh.x"}})).ok());
  EXPECT_EQ(*ReadFile(root_ + "/a/x"), "mine");
  ASSERT_TRUE(Apply(Tar({{"a/.wh.y"}, {"a/y", {}, "mine too"}})).ok());
  EXPECT_EQ(*ReadFile(root_ + "/a/y"), "mine too");
  // A whiteout of a directory this layer also fills removes only the lower
  // content below it.
  ASSERT_TRUE(Apply(Tar({{"b/deep/new", {}, "n"}, {"b/.wh.deep"}})).ok());
  EXPECT_FALSE(PathExists(root_ + "/b/deep/f"));
  EXPECT_EQ(*ReadFile(root_ + "/b/deep/new"), "n");
}

TEST_F(LayerApplierTest, MergesDirectoriesAndReplacesOtherEntries) {
  ASSERT_TRUE(Apply(Tar(kLower)).ok());
  ASSERT_TRUE(Apply(Tar({Dir("a/", 0700),
                         {"c/", TarType::kDirectory},
                         {"a/y", TarType::kSymlink, "", "x"}}))
                  .ok());
  struct stat st;
  ASSERT_EQ(lstat((root_ + "/a").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_TRUE(PathExists(root_ + "/a/x")) << "directory contents are merged";
  EXPECT_TRUE(IsDirectory(root_ + "/c")) << "file replaced by a directory";
  ASSERT_EQ(lstat((root_ + "/a/y").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(st.st_mtime, 1234567890);
}

TEST_F(LayerApplierTest, ReportsDiffIdOfTheUncompressedStream) {
  std::string tar = Tar(kLower);
  std::string gz;
  StringWriter sink(&gz);
  auto w = compress::NewCompressor(compress::Compression::kGzip, &sink, {});
  ASSERT_TRUE(w->Write(tar).ok());
  ASSERT_TRUE(w->Close().ok());
  absl::StatusOr<ApplyResult> r = Apply(gz);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->diff_id, Digest::Of(tar));
  EXPECT_EQ(r->entries, 8);
  EXPECT_EQ(r->data_bytes, 5);
}

TEST_F(LayerApplierTest, OverlayModeMarksWhiteoutsForOverlayfs) {
  ApplyOptions opts;
  opts.mode = ApplyMode::kOverlay;
  ASSERT_TRUE(
      Apply(Tar({{"a/.wh.gone"}, {"b/.wh..wh..opq"}, {"b/keep", {}, "k"}}),
            opts)
          .ok());
  struct stat st;
  ASSERT_EQ(lstat((root_ + "/a/gone").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, 0u);
  char v[8];
  ASSERT_EQ(getxattr((root_ + "/b").c_str(), "trusted.overlay.opaque", v, 8),
            1);
  EXPECT_EQ(v[0], 'y');
  EXPECT_EQ(*ReadFile(root_ + "/b/keep"), "k");

  opts.user_xattr_overlay = true;
  ASSERT_TRUE(Apply(Tar({{"u/.wh..wh..opq"}}), opts).ok());
  ASSERT_EQ(getxattr((root_ + "/u").c_str(), "user.overlay.opaque", v, 8), 1);
}

TEST_F(LayerApplierTest, LayersCannotSetOverlayXattrs) {
  std::string out;
  StringWriter sink(&out);
  tar::TarWriter w(&sink);
  TarEntry e;
  e.name = "d/";
  e.type = TarType::kDirectory;
  e.mode = 0755;
  e.xattrs["trusted.overlay.opaque"] = "y";
  e.xattrs["user.note"] = "hi";
  ASSERT_TRUE(w.WriteHeader(e).ok());
  ASSERT_TRUE(w.Finish().ok());
  ASSERT_TRUE(Apply(out).ok());
  char v[8];
  EXPECT_LT(getxattr((root_ + "/d").c_str(), "trusted.overlay.opaque", v, 8),
            0);
  EXPECT_EQ(getxattr((root_ + "/d").c_str(), "user.note", v, 8), 2);
}

}  // namespace
}  // namespace farm::image::layer
