// The hostile-archive corpus: layers built to escape the rootfs, confuse
// whiteouts or exhaust resources. Every test checks the error (code and
// message) and that nothing outside the rootfs changed.
#include <sys/stat.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image/compress/compression.h"
#include "image/layer/layer_applier.h"
#include "image/layer/tree_snapshot.h"
#include "image/tar/tar_writer.h"

namespace farm::image::layer {
namespace {

using tar::TarEntry;
using tar::TarType;
using ::testing::HasSubstr;

TarEntry Reg(std::string name, int64_t size = 0) {
  TarEntry e;
  e.name = std::move(name);
  e.size = size;
  e.mode = 0644;
  e.mtime = 1000;
  return e;
}
TarEntry Sym(std::string name, std::string target) {
  TarEntry e = Reg(std::move(name));
  e.type = TarType::kSymlink;
  e.linkname = std::move(target);
  e.mode = 0777;
  return e;
}
TarEntry Hard(std::string name, std::string target) {
  TarEntry e = Reg(std::move(name));
  e.type = TarType::kHardlink;
  e.linkname = std::move(target);
  return e;
}
TarEntry DirE(std::string name, uint32_t mode = 0755) {
  TarEntry e = Reg(std::move(name));
  e.type = TarType::kDirectory;
  e.mode = mode;
  return e;
}
TarEntry Dev(std::string name, TarType type, uint32_t major, uint32_t minor) {
  TarEntry e = Reg(std::move(name));
  e.type = type;
  e.devmajor = major;
  e.devminor = minor;
  e.mode = 0666;
  return e;
}

// Builds a tar; regular entries get "data:<name>" unless `data` says more.
class TarBuilder {
 public:
  TarBuilder() : sink_(&out_), w_(&sink_) {}
  TarBuilder& Add(TarEntry e, std::string data = "") {
    if (e.type == TarType::kRegular && data.empty() && e.size == 0 &&
        e.name.find(".wh.") == std::string::npos) {
      data = "data:" + e.name;
    }
    if (e.type == TarType::kRegular) e.size = data.size();
    EXPECT_TRUE(w_.WriteHeader(e).ok());
    EXPECT_TRUE(w_.WriteData(data).ok());
    return *this;
  }
  tar::TarWriter& writer() { return w_; }
  std::string Done() {
    EXPECT_TRUE(w_.Finish().ok());
    return out_;
  }

 private:
  std::string out_;
  StringWriter sink_;
  tar::TarWriter w_;
};

// A tar whose first member carries a PAX "comment" record of `size` bytes.
std::string WithPaxComment(size_t size) {
  TarBuilder b;
  std::string body = absl::StrCat(" comment=", std::string(size, 'p'), "\n");
  size_t len = body.size() + 1;
  while (std::to_string(len).size() + body.size() != len) ++len;
  EXPECT_TRUE(b.writer()
                  .WriteSpecial('x', "PaxHeaders.0/f", absl::StrCat(len, body))
                  .ok());
  b.Add(Reg("f"));
  return b.Done();
}

// Gzips what `fill` writes.
std::string Gzip(const std::function<void(ByteWriter*)>& fill) {
  std::string gz;
  StringWriter sink(&gz);
  auto z = compress::NewCompressor(compress::Compression::kGzip, &sink, {});
  fill(z.get());
  EXPECT_TRUE(z->Close().ok());
  return gz;
}

class HostileLayerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    top_ = *MakeTempDir("hostile");
    root_ = top_ + "/root";
    outside_ = top_ + "/outside";
    ASSERT_TRUE(MakeDirs(root_).ok());
    ASSERT_TRUE(MakeDirs(outside_ + "/dir").ok());
    ASSERT_TRUE(WriteFile(outside_ + "/secret", "do not touch").ok());
    ASSERT_TRUE(WriteFile(outside_ + "/dir/file", "nor this").ok());
    ASSERT_EQ(chmod((outside_ + "/dir").c_str(), 0700), 0);
    before_ = Outside();
  }
  void TearDown() override {
    EXPECT_EQ(DiffSnapshots(before_, Outside()), "")
        << "something outside the rootfs changed";
    ASSERT_TRUE(RemoveAll(top_).ok());
  }

  std::map<std::string, std::string> Outside() {
    std::map<std::string, std::string> all = SnapshotTree(top_);
    for (auto it = all.begin(); it != all.end();) {
      if (it->first == "root" || it->first.rfind("root/", 0) == 0 ||
          it->first == ".") {
        it = all.erase(it);
      } else {
        ++it;
      }
    }
    return all;
  }

  absl::StatusOr<ApplyResult> Apply(const std::string& tar,
                                    ApplyOptions opts = {}) {
    StringReader in(tar);
    return ApplyLayer(&in, root_, opts);
  }
  void ExpectError(const absl::StatusOr<ApplyResult>& r, absl::StatusCode code,
                   const std::string& message) {
    ASSERT_FALSE(r.ok()) << "expected " << message;
    EXPECT_EQ(r.status().code(), code) << r.status();
    EXPECT_THAT(r.status().message(), HasSubstr(message));
  }
  std::string In(const std::string& rel) { return root_ + "/" + rel; }
  // The file type of `rel` in the root (S_IFREG, ...), 0 if missing.
  mode_t TypeOf(const std::string& rel) {
    struct stat st;
    if (lstat(In(rel).c_str(), &st) != 0) return 0;
    return st.st_mode & S_IFMT;
  }

  std::string top_, root_, outside_;
  std::map<std::string, std::string> before_;
};

// --- Path traversal and absolute names ---------------------------------

TEST_F(HostileLayerTest, DotDotNameIsRefused) {
  ExpectError(Apply(TarBuilder().Add(Reg("../outside/pwned")).Done()),
              absl::StatusCode::kInvalidArgument,
              "member #1 (../outside/pwned): path \"../outside/pwned\" "
              "escapes the root");
}

TEST_F(HostileLayerTest, NestedDotDotNameIsRefused) {
  ExpectError(Apply(TarBuilder()
                        .Add(DirE("a/"))
                        .Add(Reg("a/b/../../../outside/x"))
                        .Done()),
              absl::StatusCode::kInvalidArgument,
              "member #2 (a/b/../../../outside/x)");
}

TEST_F(HostileLayerTest, DotDotDirectoryIsRefused) {
  ExpectError(Apply(TarBuilder().Add(DirE("../")).Done()),
              absl::StatusCode::kInvalidArgument, "escapes the root");
}

TEST_F(HostileLayerTest, AbsoluteNameLandsInsideTheRoot) {
  std::string abs = outside_ + "/pwned";
  ASSERT_TRUE(
      Apply(TarBuilder().Add(Reg(abs)).Add(Reg("/../../x")).Done()).ok());
  EXPECT_EQ(*ReadFile(In(abs.substr(1))), "data:" + abs);
  EXPECT_TRUE(PathExists(In("x")));
}

// --- Writing through symlinks --------------------------------------------

TEST_F(HostileLayerTest, WriteThroughAbsoluteSymlinkIsRefused) {
  ExpectError(
      Apply(
          TarBuilder().Add(Sym("lnk", outside_)).Add(Reg("lnk/pwned")).Done()),
      absl::StatusCode::kInvalidArgument,
      "member #2 (lnk/pwned): cannot use parent directory: \"lnk\" "
      "is a symlink to a path that does not exist");
}

TEST_F(HostileLayerTest, WriteThroughUpAndOutSymlinkIsRefused) {
  ExpectError(Apply(TarBuilder()
                        .Add(Sym("lnk", "../../outside"))
                        .Add(Reg("lnk/pwned"))
                        .Done()),
              absl::StatusCode::kInvalidArgument, "member #2 (lnk/pwned)");
}

TEST_F(HostileLayerTest, UpAndOutSymlinkResolvesInsideWhenTargetExists) {
  // "../../outside" from the root is clamped to "/outside" of the rootfs.
  ASSERT_TRUE(Apply(TarBuilder()
                        .Add(DirE("outside/"))
                        .Add(Sym("lnk", "../../outside"))
                        .Add(Reg("lnk/pwned"))
                        .Done())
                  .ok());
  EXPECT_EQ(*ReadFile(In("outside/pwned")), "data:lnk/pwned");
}

TEST_F(HostileLayerTest, WriteThroughMultiHopSymlinksIsRefused) {
  ExpectError(Apply(TarBuilder()
                        .Add(Sym("a", "b"))
                        .Add(DirE("x/"))
                        .Add(Sym("b", "x/../c"))
                        .Add(Sym("c", "../" + outside_.substr(1)))
                        .Add(Reg("a/secret", 3), "new")
                        .Done()),
              absl::StatusCode::kInvalidArgument, "member #5 (a/secret)");
}

TEST_F(HostileLayerTest, SymlinkLoopIsRefused) {
  ExpectError(Apply(TarBuilder()
                        .Add(Sym("a", "b"))
                        .Add(Sym("b", "a"))
                        .Add(Reg("a/x"))
                        .Done()),
              absl::StatusCode::kInvalidArgument,
              "member #3 (a/x): cannot use parent directory");
}

TEST_F(HostileLayerTest, MagicProcLinkIsNotFollowed) {
  ExpectError(Apply(TarBuilder()
                        .Add(Sym("p", "/proc/self/root" + outside_))
                        .Add(Reg("p/pwned"))
                        .Done()),
              absl::StatusCode::kInvalidArgument, "member #2 (p/pwned)");
}

TEST_F(HostileLayerTest, SymlinkReplacedByFileIsNotWrittenThrough) {
  ASSERT_TRUE(Apply(TarBuilder()
                        .Add(Sym("lnk", outside_ + "/secret"))
                        .Add(Reg("lnk", 9), "overwrite")
                        .Done())
                  .ok());
  EXPECT_EQ(TypeOf("lnk"), S_IFREG);
  EXPECT_EQ(*ReadFile(In("lnk")), "overwrite");
}

TEST_F(HostileLayerTest, LowerLayerSymlinkIsNotWrittenThrough) {
  ASSERT_TRUE(Apply(TarBuilder().Add(Sym("etc", outside_)).Done()).ok());
  ExpectError(Apply(TarBuilder().Add(Reg("etc/secret", 3), "new").Done()),
              absl::StatusCode::kInvalidArgument, "member #1 (etc/secret)");
}

// --- Hardlinks --------------------------------------------------------------

TEST_F(HostileLayerTest, HardlinkOutsideTheRootIsRefused) {
  ExpectError(Apply(TarBuilder().Add(Hard("h", "../outside/secret")).Done()),
              absl::StatusCode::kInvalidArgument,
              "member #1 (h): hardlink target \"../outside/secret\" escapes "
              "the root");
}

TEST_F(HostileLayerTest, AbsoluteHardlinkResolvesInsideTheRoot) {
  ExpectError(Apply(TarBuilder().Add(Hard("h", outside_ + "/secret")).Done()),
              absl::StatusCode::kInvalidArgument,
              "member #1 (h): hardlink target");
}

TEST_F(HostileLayerTest, HardlinkThroughSymlinkIsRefused) {
  ExpectError(Apply(TarBuilder()
                        .Add(Sym("lnk", outside_))
                        .Add(Hard("h", "lnk/secret"))
                        .Done()),
              absl::StatusCode::kInvalidArgument,
              "member #2 (h): hardlink target \"lnk/secret\"");
}

TEST_F(HostileLayerTest, HardlinkThroughRootSymlinkStaysInside) {
  ASSERT_TRUE(Apply(TarBuilder()
                        .Add(DirE("etc/"))
                        .Add(Reg("etc/passwd"))
                        .Add(Sym("up", "../../../.."))
                        .Add(Hard("h", "up/etc/passwd"))
                        .Done())
                  .ok());
  struct stat a, b;
  ASSERT_EQ(lstat(In("h").c_str(), &a), 0);
  ASSERT_EQ(lstat(In("etc/passwd").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
}

TEST_F(HostileLayerTest, HardlinkToSymlinkLinksTheSymlinkItself) {
  ASSERT_TRUE(Apply(TarBuilder()
                        .Add(Sym("lnk", outside_ + "/secret"))
                        .Add(Hard("h", "lnk"))
                        .Done())
                  .ok());
  EXPECT_EQ(TypeOf("h"), S_IFLNK);
}

TEST_F(HostileLayerTest, HardlinkToDirectoryIsRefused) {
  ExpectError(Apply(TarBuilder().Add(DirE("d/")).Add(Hard("h", "d")).Done()),
              absl::StatusCode::kInvalidArgument,
              "member #2 (h): cannot hardlink");
}

// --- Metadata through symlinks -------------------------------------------

TEST_F(HostileLayerTest, ChmodThroughSymlinkToDirectoryDoesNotHappen) {
  ASSERT_TRUE(Apply(TarBuilder()
                        .Add(Sym("d", outside_ + "/dir"))
                        .Add(DirE("d/", 0777))
                        .Done())
                  .ok());
  struct stat st;
  ASSERT_EQ(lstat(In("d").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0777u);
}

TEST_F(HostileLayerTest, ChmodAndChownOfSymlinkStayOnTheSymlink) {
  TarEntry s = Sym("s", "../outside/secret");
  s.uid = 4321;
  s.gid = 4321;
  s.mtime = 99;
  ASSERT_TRUE(Apply(TarBuilder().Add(s).Done()).ok());
  // The lower symlink is now replaced by a fifo with another mode.
  TarEntry fifo = Dev("s", TarType::kFifo, 0, 0);
  fifo.mode = 0606;
  ASSERT_TRUE(Apply(TarBuilder().Add(fifo).Done()).ok());
  EXPECT_EQ(TypeOf("s"), S_IFIFO);
}

TEST_F(HostileLayerTest, FileUnderARegularFileIsRefused) {
  ExpectError(Apply(TarBuilder().Add(Reg("f")).Add(Reg("f/x")).Done()),
              absl::StatusCode::kInvalidArgument,
              "member #2 (f/x): cannot use parent directory: \"f\" is not a "
              "directory");
}

// --- Whiteouts
// ----------------------------------------------------------------

TEST_F(HostileLayerTest, WhiteoutOfDotDotIsRefused) {
  ExpectError(Apply(TarBuilder().Add(DirE("a/")).Add(Reg("a/.wh..")).Done()),
              absl::StatusCode::kInvalidArgument,
              "member #2 (a/.wh..): invalid whiteout name \".wh..\"");
}

TEST_F(HostileLayerTest, WhiteoutWithThreeDotsIsRefused) {
  ExpectError(Apply(TarBuilder().Add(Reg(".wh...")).Done()),
              absl::StatusCode::kInvalidArgument,
              "invalid whiteout name \".wh...\"");
}

TEST_F(HostileLayerTest, BareWhiteoutIsRefused) {
  ExpectError(Apply(TarBuilder().Add(Reg("a/.wh.")).Done()),
              absl::StatusCode::kInvalidArgument,
              "invalid whiteout name \".wh.\"");
}

TEST_F(HostileLayerTest, WhiteoutThroughSymlinkDeletesNothingOutside) {
  ASSERT_TRUE(Apply(TarBuilder().Add(Sym("lnk", outside_)).Done()).ok());
  ASSERT_TRUE(Apply(TarBuilder()
                        .Add(Reg("lnk/.wh.secret"))
                        .Add(Reg("lnk/.wh..wh..opq"))
                        .Done())
                  .ok());
  EXPECT_TRUE(PathExists(outside_ + "/secret"));
}

TEST_F(HostileLayerTest, WhiteoutClimbingOutIsRefused) {
  ExpectError(Apply(TarBuilder().Add(Reg("a/../../.wh.outside")).Done()),
              absl::StatusCode::kInvalidArgument, "escapes the root");
}

TEST_F(HostileLayerTest, OpaqueWhiteoutOrderDoesNotMatter) {
  std::string lower =
      TarBuilder().Add(DirE("d/")).Add(Reg("d/old1")).Add(Reg("d/old2")).Done();
  ASSERT_TRUE(Apply(lower).ok());
  ASSERT_TRUE(
      Apply(TarBuilder().Add(Reg("d/new")).Add(Reg("d/.wh..wh..opq")).Done())
          .ok());
  std::map<std::string, std::string> after_last = SnapshotTree(root_);
  ASSERT_TRUE(RemoveAll(root_).ok());
  ASSERT_TRUE(MakeDirs(root_).ok());
  ASSERT_TRUE(Apply(lower).ok());
  ASSERT_TRUE(
      Apply(TarBuilder().Add(Reg("d/.wh..wh..opq")).Add(Reg("d/new")).Done())
          .ok());
  std::map<std::string, std::string> after_first = SnapshotTree(root_);
  after_last.erase(".");
  after_first.erase(".");
  EXPECT_EQ(DiffSnapshots(after_first, after_last), "");
  EXPECT_FALSE(PathExists(In("d/old1")));
  EXPECT_TRUE(PathExists(In("d/new")));
}

// --- Duplicates and device nodes ------------------------------------------

TEST_F(HostileLayerTest, DuplicateEntriesLastOneWins) {
  ASSERT_TRUE(Apply(TarBuilder()
                        .Add(Reg("a", 5), "first")
                        .Add(Reg("a", 6), "second")
                        .Add(DirE("b/"))
                        .Add(Reg("b/inner"))
                        .Add(Reg("b", 4), "file")
                        .Add(Reg("c", 1), "x")
                        .Add(DirE("c/"))
                        .Done())
                  .ok());
  EXPECT_EQ(*ReadFile(In("a")), "second");
  EXPECT_EQ(*ReadFile(In("b")), "file");
  EXPECT_TRUE(IsDirectory(In("c")));
}

TEST_F(HostileLayerTest, DeviceNodesStayInsideAndAreNotWrittenThrough) {
  ASSERT_TRUE(Apply(TarBuilder()
                        .Add(Dev("disk", TarType::kBlockDevice, 8, 0))
                        .Add(Dev("null", TarType::kCharDevice, 1, 3))
                        .Add(Reg("null", 4), "data")
                        .Done())
                  .ok());
  EXPECT_EQ(TypeOf("disk"), S_IFBLK);
  EXPECT_EQ(*ReadFile(In("null")), "data");
}

TEST_F(HostileLayerTest, DeviceNodesCanBeRefused) {
  ApplyOptions opts;
  opts.allow_devices = false;
  ExpectError(
      Apply(TarBuilder().Add(Dev("disk", TarType::kBlockDevice, 8, 0)).Done(),
            opts),
      absl::StatusCode::kPermissionDenied,
      "member #1 (disk): device nodes are not allowed");
}

// --- Resource caps and damage ---------------------------------------------

TEST_F(HostileLayerTest, HugePaxHeaderIsRefused) {
  ExpectError(Apply(WithPaxComment(2 << 20)),
              absl::StatusCode::kResourceExhausted, "too large");
  EXPECT_FALSE(PathExists(In("f")));
}

TEST_F(HostileLayerTest, PaxHeaderOverTheConfiguredCapIsRefused) {
  ApplyOptions opts;
  opts.max_header_bytes = 16 * 1024;
  ExpectError(Apply(WithPaxComment(100000), opts),
              absl::StatusCode::kResourceExhausted,
              "member #1 (f): headers take");
  EXPECT_FALSE(PathExists(In("f")));
}

TEST_F(HostileLayerTest, DecompressionBombStops) {
  const int64_t kSize = int64_t{256} << 20;
  std::string gz = Gzip([&](ByteWriter* z) {
    tar::TarWriter w(z);
    ASSERT_TRUE(w.WriteHeader(Reg("bomb", kSize)).ok());
    std::string zeros(1 << 20, '\0');
    for (int64_t i = 0; i < kSize; i += zeros.size()) {
      ASSERT_TRUE(w.WriteData(zeros).ok());
    }
    ASSERT_TRUE(w.Finish().ok());
  });
  ASSERT_LT(gz.size(), 1u << 20) << "a real bomb is small";
  ApplyOptions opts;
  opts.max_bytes = 16 << 20;
  ExpectError(Apply(gz, opts), absl::StatusCode::kResourceExhausted,
              "member #1 (bomb): 268435456 bytes would exceed the limit of "
              "16777216 bytes");
  EXPECT_FALSE(PathExists(In("bomb")));
}

TEST_F(HostileLayerTest, StreamBombWithoutEntriesStops) {
  // Zero blocks after the end marker still count.
  std::string gz = Gzip([](ByteWriter* z) {
    std::string zeros(1 << 20, '\0');
    for (int i = 0; i < 64; ++i) ASSERT_TRUE(z->Write(zeros).ok());
  });
  ApplyOptions opts;
  opts.max_bytes = 8 << 20;
  ExpectError(Apply(gz, opts), absl::StatusCode::kResourceExhausted,
              "uncompressed stream exceeds the limit of 8388608 bytes");
}

TEST_F(HostileLayerTest, TooManyEntriesStop) {
  TarBuilder b;
  for (int i = 0; i < 20; ++i) b.Add(Reg(absl::StrCat("f", i)));
  ApplyOptions opts;
  opts.max_entries = 10;
  ExpectError(Apply(b.Done(), opts), absl::StatusCode::kResourceExhausted,
              "member #11 (f10): more than 10 entries");
}

TEST_F(HostileLayerTest, TruncatedLayerIsDataLoss) {
  std::string tar = TarBuilder()
                        .Add(Reg("a", 3000), std::string(3000, 'a'))
                        .Add(Reg("b"))
                        .Done();
  ExpectError(Apply(tar.substr(0, 2048)), absl::StatusCode::kDataLoss,
              "member #1 (a)");
}

TEST_F(HostileLayerTest, CorruptGzipIsDataLoss) {
  std::string gz = Gzip([](ByteWriter* z) {
    ASSERT_TRUE(z->Write(TarBuilder().Add(Reg("a")).Done()).ok());
  });
  gz[gz.size() - 5] ^= 0x10;  // CRC
  ExpectError(Apply(gz), absl::StatusCode::kDataLoss, "gzip: CRC");
}

}  // namespace
}  // namespace farm::image::layer
