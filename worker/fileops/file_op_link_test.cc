// RunFileOp with FileOp::link: which files a COPY hard-links into the upper
// dir instead of copying, and that the result is the same as a copy's.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "worker/fileops/file_op.h"
#include "worker/fileops/fileops_test_util.h"

namespace farm::fileops {
namespace {

using testing::BuildTree;
using testing::Describe;
using testing::DescribeTree;

constexpr int64_t kNow = 1700000000;

// A COPY from the build context (owner 0:0), linking nothing.
FileOp ContextCopy(std::vector<std::string> sources, std::string dest) {
  FileOp op;
  op.sources = std::move(sources);
  op.dest = std::move(dest);
  op.default_owner = Owner{0, 0};
  return op;
}

// FileOp::link with a plain directory as the rootfs and as the upper dir:
// context files are 0:0 with whole-second mtimes, so a plain COPY links them.
class FileOpLinkTest : public ::testing::Test {
 protected:
  static constexpr int64_t kMtime = 1600000000;

  void SetUp() override {
    tmp_ = *MakeTempDir("file_op_link");
    context_ = tmp_ + "/context";
    rootfs_ = tmp_ + "/rootfs";
    ASSERT_TRUE(MakeDirs(context_).ok());
    ASSERT_TRUE(MakeDirs(rootfs_).ok());
    BuildTree(context_,
              {"f a.txt 0644 0:0 a", "h hl.txt a.txt", "f run.sh 0755 0:0 r",
               "d dir 0755 0:0", "f dir/x 0644 0:0 x", "d dir/sub 0700 0:0",
               "f dir/sub/y 0600 0:0 y", "d pair 0755 0:0",
               "f pair/one 0644 0:0 p", "h pair/two pair/one"});
    for (const auto& entry : DescribeTree(context_)) {
      SetMtime(entry.first, kMtime, 0);
    }
    upper_ = ScopedFd(open(rootfs_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_GE(upper_.get(), 0);
  }
  void TearDown() override { ASSERT_TRUE(RemoveAll(tmp_).ok()); }

  void SetMtime(const std::string& rel, int64_t sec, long nsec) {
    struct timespec t[2] = {{sec, nsec}, {sec, nsec}};
    ASSERT_EQ(utimensat(AT_FDCWD, JoinPath(context_, rel).c_str(), t, 0), 0);
  }

  // A COPY from the context that may link into upper_.
  FileOp LinkOp(std::vector<std::string> sources, std::string dest) {
    FileOp op = ContextCopy(std::move(sources), std::move(dest));
    op.link = LinkInto{upper_.get(), kNow};
    return op;
  }

  FileOpResult Run(const FileOp& op) {
    DirectoryTree tree = *DirectoryTree::Open(context_);
    absl::StatusOr<FileOpResult> r = RunFileOp(op, &tree, rootfs_);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.value_or(FileOpResult{-1, -1});
  }

  std::string Src(const std::string& rel) { return JoinPath(context_, rel); }
  std::string Dst(const std::string& rel) { return JoinPath(rootfs_, rel); }

  std::string tmp_, context_, rootfs_;
  ScopedFd upper_;
};

struct stat Lstat(const std::string& path) {
  struct stat st = {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st;
}

// Describe() plus the mtime, for comparing metadata before and after.
std::string Meta(const std::string& path) {
  struct stat st = Lstat(path);
  return absl::StrCat(Describe(path), " mtime=", st.st_mtim.tv_sec, ".",
                      st.st_mtim.tv_nsec);
}

TEST_F(FileOpLinkTest, PlainCopyLinksEveryFileAndMakesDirectories) {
  FileOpResult r = Run(LinkOp({"dir"}, "/d"));
  EXPECT_EQ(r.linked, 2);
  for (const char* file : {"x", "sub/y"}) {
    EXPECT_EQ(Lstat(Dst(absl::StrCat("d/", file))).st_ino,
              Lstat(Src(absl::StrCat("dir/", file))).st_ino)
        << file;
  }
  EXPECT_EQ(Meta(Dst("d/x")),
            absl::StrCat("f 0644 0:0 x nlink=2 mtime=", kMtime, ".0"));
  EXPECT_EQ(Meta(Dst("d/sub/y")),
            absl::StrCat("f 0600 0:0 y nlink=2 mtime=", kMtime, ".0"));
  EXPECT_EQ(Meta(Dst("d/sub")),
            absl::StrCat("d 0700 0:0 mtime=", kMtime, ".0"));
  EXPECT_NE(Lstat(Dst("d/sub")).st_ino, Lstat(Src("dir/sub")).st_ino);
}

TEST_F(FileOpLinkTest, ChmodOrChownThatChangesTheFileCopiesIt) {
  FileOp chmod = LinkOp({"run.sh"}, "/m/");
  chmod.chmod = "700";
  FileOp chown = LinkOp({"run.sh"}, "/o/");
  chown.chown = "1:1";
  FileOp same_mode = LinkOp({"run.sh"}, "/s/");
  same_mode.chmod = "755";
  EXPECT_EQ(Run(chmod).linked, 0);
  EXPECT_EQ(Run(chown).linked, 0);
  EXPECT_EQ(Run(same_mode).linked, 1);
  const ino_t src = Lstat(Src("run.sh")).st_ino;
  EXPECT_NE(Lstat(Dst("m/run.sh")).st_ino, src);
  EXPECT_NE(Lstat(Dst("o/run.sh")).st_ino, src);
  EXPECT_EQ(Lstat(Dst("s/run.sh")).st_ino, src);
  const std::string mtime = absl::StrCat(" mtime=", kMtime, ".0");
  EXPECT_EQ(Meta(Dst("m/run.sh")), "f 0700 0:0 r" + mtime);
  EXPECT_EQ(Meta(Dst("o/run.sh")), "f 0755 1:1 r" + mtime);
  EXPECT_EQ(Meta(Src("run.sh")), "f 0755 0:0 r nlink=2" + mtime);
}

TEST_F(FileOpLinkTest, FilesTheLayerFormWouldChangeAreCopied) {
  BuildTree(context_, {"d odd 0755 0:0", "f odd/frac 0644 0:0 f",
                       "f odd/xattr 0644 0:0 x", "f odd/new 0644 0:0 n"});
  ASSERT_EQ(setxattr(Src("odd/xattr").c_str(), "user.note", "v", 1, 0), 0);
  SetMtime("odd/frac", kMtime, 5);
  SetMtime("odd/xattr", kMtime, 0);
  SetMtime("odd/new", kNow + 1, 0);
  std::map<std::string, std::string> before;
  for (const char* f : {"frac", "xattr", "new"}) {
    before[f] = Meta(Src(absl::StrCat("odd/", f)));
  }
  EXPECT_EQ(Run(LinkOp({"odd"}, "/o")).linked, 0);
  for (const auto& [f, meta] : before) {
    std::string dst = Dst(absl::StrCat("o/", f));
    EXPECT_EQ(Meta(Src(absl::StrCat("odd/", f))), meta) << f;
    EXPECT_EQ(Meta(dst), meta) << f;  // nlink 1: not the source inode
  }
  EXPECT_EQ(getxattr(Dst("o/xattr").c_str(), "user.note", nullptr, 0), -1);
}

TEST_F(FileOpLinkTest, HardlinksStayPairsOnlyWithinOneSource) {
  EXPECT_EQ(Run(LinkOp({"pair"}, "/p")).linked, 2);
  const ino_t pair = Lstat(Src("pair/one")).st_ino;
  EXPECT_EQ(Lstat(Dst("p/one")).st_ino, pair);
  EXPECT_EQ(Lstat(Dst("p/two")).st_ino, pair);
  EXPECT_EQ(Lstat(Src("pair/one")).st_nlink, 4u);
  // One wildcard source keeps the pair too.
  EXPECT_EQ(Run(LinkOp({"*.txt"}, "/w/")).linked, 2);
  EXPECT_EQ(Lstat(Dst("w/hl.txt")).st_ino, Lstat(Src("a.txt")).st_ino);
  // Two sources naming one inode: Docker copies them apart.
  EXPECT_EQ(Run(LinkOp({"a.txt", "hl.txt"}, "/h/")).linked, 1);
  EXPECT_EQ(Lstat(Dst("h/a.txt")).st_ino, Lstat(Src("a.txt")).st_ino);
  EXPECT_NE(Lstat(Dst("h/hl.txt")).st_ino, Lstat(Src("a.txt")).st_ino);
  EXPECT_EQ(Meta(Dst("h/hl.txt")),
            absl::StrCat("f 0644 0:0 a mtime=", kMtime, ".0"));
}

TEST_F(FileOpLinkTest, ExistingFileIsReplacedByTheLink) {
  BuildTree(rootfs_, {"d dst 0755 0:0", "f dst/a.txt 0600 5:5 old"});
  EXPECT_EQ(Run(LinkOp({"a.txt"}, "/dst/")).linked, 1);
  // Again, over the link itself.
  EXPECT_EQ(Run(LinkOp({"a.txt"}, "/dst/")).linked, 1);
  EXPECT_EQ(Lstat(Dst("dst/a.txt")).st_ino, Lstat(Src("a.txt")).st_ino);
  EXPECT_EQ(Meta(Dst("dst/a.txt")),
            absl::StrCat("f 0644 0:0 a nlink=3 mtime=", kMtime, ".0"));
}

// A directory of many files is linked in a batch split over two threads:
// every file still ends up linked or copied as it would one at a time,
// names that exist already are replaced, and no temporary name is left.
TEST_F(FileOpLinkTest, BigDirectoryLinksLikeOneFileAtATime) {
  constexpr int kFiles = 150;
  std::vector<std::string> spec = {"d big 0755 0:0", "d big/many 0750 0:0"};
  for (int i = 0; i < kFiles; ++i) {
    spec.push_back(absl::StrFormat("f big/many/f%03d 0644 0:0 c%d", i, i));
  }
  BuildTree(context_, spec);
  for (int i = 0; i < kFiles; ++i) {
    // Every tenth file has a fraction of a second, so it is copied.
    SetMtime(absl::StrFormat("big/many/f%03d", i), kMtime, i % 10 == 0 ? 7 : 0);
  }
  SetMtime("big/many", kMtime, 0);
  // Names already there on both halves of the batch.
  BuildTree(rootfs_, {"d b 0755 0:0", "d b/many 0700 5:5",
                      "f b/many/f001 0600 5:5 old",
                      "f b/many/f149 0600 5:5 old"});
  FileOpResult r = Run(LinkOp({"big"}, "/b"));
  EXPECT_EQ(r.linked, kFiles - kFiles / 10);
  for (int i = 0; i < kFiles; ++i) {
    const std::string name = absl::StrFormat("many/f%03d", i);
    const bool linked = i % 10 != 0;
    EXPECT_EQ(Lstat(Dst("b/" + name)).st_ino == Lstat(Src("big/" + name)).st_ino,
              linked)
        << name;
    EXPECT_EQ(Describe(Dst("b/" + name)),
              absl::StrCat("f 0644 0:0 c", i, linked ? " nlink=2" : ""))
        << name;
  }
  // The directory takes its source's metadata after its last link.
  EXPECT_EQ(Meta(Dst("b/many")),
            absl::StrCat("d 0750 0:0 mtime=", kMtime, ".0"));
  EXPECT_EQ(DescribeTree(Dst("b/many")).size(), static_cast<size_t>(kFiles));
}

// An upper dir apart from the merged view: a name only the upper dir holds
// (a whiteout, an earlier link) is replaced; with no upper counterpart of
// the target directory the file is copied.
TEST_F(FileOpLinkTest, UpperDirApartFromTheRootfs) {
  std::string upper = tmp_ + "/upper";
  ASSERT_TRUE(MakeDirs(upper).ok());
  BuildTree(upper, {"d dst 0755 0:0", "f dst/a.txt 0600 0:0 stale"});
  BuildTree(rootfs_, {"d dst 0755 0:0", "d lower 0755 0:0"});
  upper_ = ScopedFd(open(upper.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  EXPECT_EQ(Run(LinkOp({"a.txt"}, "/dst/")).linked, 1);
  EXPECT_EQ(Lstat(upper + "/dst/a.txt").st_ino, Lstat(Src("a.txt")).st_ino);
  EXPECT_EQ(DescribeTree(upper).size(), 2u);  // no temporary name left
  EXPECT_EQ(Describe(Dst("dst/a.txt")), "absent");
  EXPECT_EQ(Run(LinkOp({"a.txt"}, "/lower/")).linked, 0);
  EXPECT_EQ(Describe(Dst("lower/a.txt")), "f 0644 0:0 a");
}

TEST_F(FileOpLinkTest, WithoutLinkEverythingIsCopied) {
  FileOpResult r = Run(ContextCopy({"dir", "pair"}, "/d"));
  EXPECT_EQ(r.linked, 0);
  EXPECT_GT(r.entries, 0);
  EXPECT_NE(Lstat(Dst("d/x")).st_ino, Lstat(Src("dir/x")).st_ino);
  EXPECT_EQ(Meta(Dst("d/x")),
            absl::StrCat("f 0644 0:0 x mtime=", kMtime, ".0"));
  EXPECT_EQ(Lstat(Dst("d/one")).st_ino, Lstat(Dst("d/two")).st_ino);
  EXPECT_EQ(Lstat(Dst("d/one")).st_nlink, 2u);  // the copied pair
  EXPECT_EQ(Lstat(Src("dir/x")).st_nlink, 1u);
}

}  // namespace
}  // namespace farm::fileops
