// COPY/ADD end to end on real directories: a build context, a rootfs with
// users and awkward symlinks, and a directory outside both that nothing may
// touch. Expectations follow what Docker 20.10 (BuildKit) produced for the
// same inputs (see tests/compat/cases/copy-* and add-*).
#include "worker/fileops/file_op.h"

#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/digest.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "worker/fileops/fileops_test_util.h"

namespace farm::fileops {
namespace {

using image::tar::TarType;
using testing::BuildTree;
using testing::Codec;
using testing::Compress;
using testing::Describe;
using testing::DescribeTree;
using ::testing::HasSubstr;
using testing::Tar;
using testing::TarMember;

constexpr int64_t kNow = 1700000000;

struct Case {
  std::string name;
  FileOp op;
  // Path in the rootfs → Describe() of it ("absent" for nothing there).
  std::map<std::string, std::string> expect;
  absl::StatusCode code = absl::StatusCode::kOk;
  std::string error;  // substring of the message
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

FileOp Op(std::vector<std::string> sources, std::string dest) {
  FileOp op;
  op.sources = std::move(sources);
  op.dest = std::move(dest);
  op.default_owner = Owner{0, 0};  // the build context
  return op;
}

FileOp With(FileOp op, std::function<void(FileOp&)> change) {
  change(op);
  return op;
}

std::string Archive(Codec codec) {
  return Compress(
      Tar({{"./", TarType::kDirectory, "", 0700},
           {"top.txt", TarType::kRegular, "top", 0644},
           {"arch/", TarType::kDirectory, "", 0755},
           {"arch/file.txt", TarType::kRegular, "in tar", 0640, 1234, 5678},
           {"arch/hard", TarType::kHardlink, "arch/file.txt", 0640, 1234, 5678},
           {"arch/link", TarType::kSymlink, "file.txt", 0777},
           {"arch/suid", TarType::kRegular, "s", 04755}}),
      codec);
}

// Gzip output carries a timestamp: make the bytes once.
const std::string& NotTar() {
  static const std::string* data =
      new std::string(Compress("just text\n", Codec::kGzip));
  return *data;
}

class FileOpTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    tmp_ = *MakeTempDir("file_op");
    context_ = tmp_ + "/context";
    rootfs_ = tmp_ + "/rootfs";
    outside_ = tmp_ + "/outside";
    for (const std::string& d : {context_, rootfs_, outside_}) {
      ASSERT_TRUE(MakeDirs(d).ok());
    }
    BuildTree(context_, {"f a.txt 0644 0:0 a",
                         "f b.txt 0644 0:0 bb",
                         "f suid 4755 0:0 s",
                         "f owned 0640 1234:5678 o",
                         "d dir 0750 0:0",
                         "f dir/x 0644 0:0 x",
                         "h dir/hard dir/x",
                         "l dir/link x",
                         "d dir/sub 0700 0:0",
                         "f dir/sub/y 0600 0:0 y",
                         "l link-to-a a.txt",
                         "l dirlink dir",
                         "d data 0755 0:0",
                         "f data/one.json 0644 0:0 1",
                         "f data/two.json 0644 0:0 2",
                         "f data/readme.md 0644 0:0 r",
                         "d docs 0755 0:0",
                         "f docs/keep.md 0644 0:0 k",
                         "f docs/drop.txt 0644 0:0 d",
                         "d docs/skip 0755 0:0",
                         "f docs/skip/x.txt 0644 0:0 sx",
                         "f docs/skip/y.txt 0644 0:0 sy"});
    ASSERT_TRUE(WriteFile(context_ + "/arch.tar", Archive(Codec::kNone)).ok());
    ASSERT_TRUE(WriteFile(context_ + "/arch.tgz", Archive(Codec::kGzip)).ok());
    ASSERT_TRUE(WriteFile(context_ + "/arch.tbz", Archive(Codec::kBzip2)).ok());
    ASSERT_TRUE(WriteFile(context_ + "/arch.txz", Archive(Codec::kXz)).ok());
    ASSERT_TRUE(WriteFile(context_ + "/arch.tzst", Archive(Codec::kZstd)).ok());
    ASSERT_TRUE(WriteFile(context_ + "/notar.txt.gz", NotTar()).ok());
    ASSERT_TRUE(WriteFile(context_ + "/fake.tar", "not a tar at all").ok());
    ASSERT_TRUE(WriteFile(context_ + "/evil.tar",
                          Tar({{"../../escaped.txt", TarType::kRegular, "x"}}))
                    .ok());
    BuildTree(
        rootfs_,
        {"d etc 0755 0:0",
         "f etc/passwd 0644 0:0 root:x:0:0::/root:/bin/sh\n"
         "app:x:1000:1000::/home/app:/bin/sh\nweb:x:33:33::/var/www:/bin/sh\n",
         "f etc/group 0644 0:0 root:x:0:\napp:x:1000:\nstaff:x:50:app\n"
         "www-data:x:33:\n",
         "d existing 0711 7:7", "d existing/sub 0755 5:6", "d tmp 1777 0:0",
         "l etclink /etc", "l escape ../../../../outside",
         "l abs-escape /../../outside", "l dangling /target-file",
         "f file 0644 0:0 f", "d clash 0755 0:0", "d clash/x 0755 0:0",
         "d w 0755 0:0"});
    ASSERT_TRUE(WriteFile(outside_ + "/keep", "k").ok());
  }
  void TearDown() override { ASSERT_TRUE(RemoveAll(tmp_).ok()); }

  std::string tmp_, context_, rootfs_, outside_;
};

TEST_P(FileOpTest, Runs) {
  const Case& c = GetParam();
  DirectoryTree tree = *DirectoryTree::Open(context_);
  SimulatedClock clock(absl::FromUnixSeconds(kNow));
  absl::StatusOr<FileOpResult> result = RunFileOp(c.op, &tree, rootfs_, clock);
  if (c.code != absl::StatusCode::kOk) {
    EXPECT_EQ(result.status().code(), c.code) << result.status();
    EXPECT_THAT(result.status().message(), HasSubstr(c.error));
  } else {
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_GT(result->entries, 0);
  }
  for (const auto& [path, want] : c.expect) {
    EXPECT_EQ(Describe(JoinPath(rootfs_, path)), want) << path;
  }
  // Nothing ever lands outside the rootfs, and the context is read-only.
  EXPECT_EQ(DescribeTree(outside_).size(), 1u);
  EXPECT_EQ(Describe(tmp_ + "/escaped.txt"), "absent");
  EXPECT_EQ(Describe(context_ + "/a.txt"), "f 0644 0:0 a");
}

const Case kCases[] = {
    // Destinations.
    {"FileToNewPath", Op({"a.txt"}, "/new.txt"), {{"new.txt", "f 0644 0:0 a"}}},
    {"FileToDirWithSlash",
     Op({"a.txt"}, "/newdir/"),
     {{"newdir", "d 0755 0:0"}, {"newdir/a.txt", "f 0644 0:0 a"}}},
    {"FileIntoExistingDirWithoutSlash",
     Op({"a.txt"}, "/existing"),
     {{"existing", "d 0711 7:7"}, {"existing/a.txt", "f 0644 0:0 a"}}},
    {"MissingParentsAreMade",
     Op({"a.txt"}, "/one/two/a"),
     {{"one", "d 0755 0:0"},
      {"one/two", "d 0755 0:0"},
      {"one/two/a", "f 0644 0:0 a"}}},
    {"RelativeDestUsesWorkdir",
     With(Op({"a.txt"}, "rel/"), [](FileOp& op) { op.workdir = "/w"; }),
     {{"w/rel/a.txt", "f 0644 0:0 a"}}},
    {"DotDestIsTheWorkdir",
     With(Op({"a.txt", "b.txt"}, "."), [](FileOp& op) { op.workdir = "/w"; }),
     {{"w/a.txt", "f 0644 0:0 a"}, {"w/b.txt", "f 0644 0:0 bb"}}},
    {"SeveralSourcesToAFileOverwriteLikeBuildKit",
     Op({"a.txt", "b.txt"}, "/ab"),
     {{"ab", "f 0644 0:0 bb"}}},
    {"DirectoryContents",
     Op({"dir"}, "/d"),
     {{"d", "d 0755 0:0"},
      {"d/x", "f 0644 0:0 x nlink=2"},
      {"d/hard", "f 0644 0:0 x nlink=2"},
      {"d/link", "l 0:0 -> x"},
      {"d/sub", "d 0700 0:0"},
      {"d/sub/y", "f 0600 0:0 y"}}},
    {"DirectoryWithSlashes",
     Op({"dir/"}, "/d2/"),
     {{"d2", "d 0755 0:0"}, {"d2/sub/y", "f 0600 0:0 y"}}},
    {"TopExistingDirKeptNestedTakesSource",
     Op({"dir"}, "/existing"),
     {{"existing", "d 0711 7:7"},
      {"existing/sub", "d 0700 0:0"},
      {"existing/x", "f 0644 0:0 x nlink=2"}}},
    {"HardlinksOnlyWithinOneSource",
     Op({"dir/x", "dir/hard"}, "/hl/"),
     {{"hl/x", "f 0644 0:0 x"}, {"hl/hard", "f 0644 0:0 x"}}},
    {"Wildcard",
     Op({"data/*.json"}, "/json/"),
     {{"json/one.json", "f 0644 0:0 1"},
      {"json/two.json", "f 0644 0:0 2"},
      {"json/readme.md", "absent"}}},
    {"SymlinkSourcesAreFollowed",
     Op({"link-to-a"}, "/la"),
     {{"la", "f 0644 0:0 a"}}},
    {"SymlinkToDirSource",
     Op({"dirlink"}, "/dl"),
     {{"dl/x", "f 0644 0:0 x nlink=2"}, {"dl/sub/y", "f 0600 0:0 y"}}},
    // Destinations through symlinks stay inside the rootfs.
    {"RelativeEscapeStaysInside",
     Op({"a.txt"}, "/escape/x.txt"),
     {{"outside/x.txt", "f 0644 0:0 a"},
      {"escape", "l 0:0 -> ../../../../outside"}}},
    {"AbsoluteEscapeStaysInside",
     Op({"a.txt"}, "/abs-escape/"),
     {{"outside/a.txt", "f 0644 0:0 a"}}},
    {"DestSymlinkToDir",
     Op({"a.txt"}, "/etclink"),
     {{"etc/a.txt", "f 0644 0:0 a"}, {"etclink", "l 0:0 -> /etc"}}},
    {"DanglingDestSymlinkIsFollowed",
     Op({"a.txt"}, "/dangling"),
     {{"target-file", "f 0644 0:0 a"}, {"dangling", "l 0:0 -> /target-file"}}},
    // Owners and modes.
    {"ChownUserName",
     With(Op({"a.txt"}, "/p/q/a"), [](FileOp& op) { op.chown = "app"; }),
     {{"p", "d 0755 1000:1000"},
      {"p/q", "d 0755 1000:1000"},
      {"p/q/a", "f 0644 1000:1000 a"}}},
    {"ChownUserAndGroupNames",
     With(Op({"dir"}, "/o"), [](FileOp& op) { op.chown = "app:staff"; }),
     {{"o", "d 0755 1000:50"},
      {"o/sub/y", "f 0600 1000:50 y"},
      {"o/link", "l 1000:50 -> x"}}},
    {"ChownNumberAlone",
     With(Op({"a.txt"}, "/n"), [](FileOp& op) { op.chown = "42"; }),
     {{"n", "f 0644 42:42 a"}}},
    {"ChownNumberAndGroupName",
     With(Op({"a.txt"}, "/n"), [](FileOp& op) { op.chown = "7:www-data"; }),
     {{"n", "f 0644 7:33 a"}}},
    {"ChownUnknownNamesAreRootLikeDocker",
     With(Op({"a.txt"}, "/n"), [](FileOp& op) { op.chown = "nosuch:staff"; }),
     {{"n", "f 0644 0:50 a"}}},
    {"NoChownFromAnotherStageKeepsOwners",
     With(Op({"owned"}, "/n"), [](FileOp& op) { op.default_owner.reset(); }),
     {{"n", "f 0640 1234:5678 o"}}},
    {"BuildContextIsRootOwned", Op({"owned"}, "/n"), {{"n", "f 0640 0:0 o"}}},
    {"ChmodFile",
     With(Op({"a.txt"}, "/m"), [](FileOp& op) { op.chmod = "600"; }),
     {{"m", "f 0600 0:0 a"}}},
    {"ChmodTreeButNotTheMadeTop",
     With(Op({"dir"}, "/m"), [](FileOp& op) { op.chmod = "0751"; }),
     {{"m", "d 0755 0:0"},
      {"m/sub", "d 0751 0:0"},
      {"m/sub/y", "f 0751 0:0 y"},
      {"m/link", "l 0:0 -> x"}}},
    {"ChmodKeepsSourceSpecialBitsDropsItsOwn",
     With(Op({"suid", "a.txt"}, "/m/"), [](FileOp& op) { op.chmod = "4700"; }),
     {{"m/suid", "f 4700 0:0 s"}, {"m/a.txt", "f 0700 0:0 a"}}},
    // Filters.
    {"Exclude",
     With(Op({"docs"}, "/docs"),
          [](FileOp& op) {
            op.excludes = {"*.md", "skip"};
          }),
     {{"docs/drop.txt", "f 0644 0:0 d"},
      {"docs/keep.md", "absent"},
      {"docs/skip", "absent"}}},
    {"ExcludeWithExceptionMakesParentsWhenNeeded",
     With(Op({"docs"}, "/docs"),
          [](FileOp& op) {
            op.excludes = {"skip", "!skip/x.txt"};
          }),
     {{"docs/skip", "d 0755 0:0"},
      {"docs/skip/x.txt", "f 0644 0:0 sx"},
      {"docs/skip/y.txt", "absent"}}},
    {"ExcludeAppliesToWildcardMatches",
     With(Op({"data/*"}, "/x/"), [](FileOp& op) { op.excludes = {"*.md"}; }),
     {{"x/one.json", "f 0644 0:0 1"}, {"x/readme.md", "absent"}}},
    {"Parents",
     With(Op({"data/*.json", "dir/sub"}, "/p/"),
          [](FileOp& op) { op.parents = true; }),
     {{"p/data", "d 0755 0:0"},
      {"p/data/one.json", "f 0644 0:0 1"},
      {"p/data/readme.md", "absent"},
      {"p/dir", "d 0750 0:0"},
      {"p/dir/sub", "d 0700 0:0"},
      {"p/dir/sub/y", "f 0600 0:0 y"},
      {"p/dir/x", "absent"}}},
    {"ParentsBelowAPivot",
     With(Op({"./dir/./sub/y"}, "/q/"), [](FileOp& op) { op.parents = true; }),
     {{"q/sub", "d 0700 0:0"},
      {"q/sub/y", "f 0600 0:0 y"},
      {"q/dir", "absent"}}},
    // Heredocs.
    {"HeredocFile",
     With(Op({}, "/etc/motd"),
          [](FileOp& op) {
            op.heredocs = {{"EOF", "hello\n", true}};
          }),
     {{"etc/motd", "f 0644 0:0 hello\n"}}},
    {"HeredocIntoDirWithChown",
     With(Op({"a.txt"}, "/h/"),
          [](FileOp& op) {
            op.heredocs = {{"conf", "c", true}};
            op.chown = "app";
            op.chmod = "640";
          }),
     {{"h/conf", "f 0640 1000:1000 c"}, {"h/a.txt", "f 0640 1000:1000 a"}}},
    // ADD.
    {"AddExtractsPlainTar",
     With(Op({"arch.tar"}, "/x"), [](FileOp& op) { op.keyword = "ADD"; }),
     {{"x", "d 0755 0:0"},
      {"x/top.txt", "f 0644 0:0 top"},
      {"x/arch/file.txt", "f 0640 1234:5678 in tar nlink=2"},
      {"x/arch/link", "l 0:0 -> file.txt"},
      {"x/arch/suid", "f 4755 0:0 s"}}},
    {"AddExtractsGzipBzip2XzZstd",
     With(Op({"arch.tgz", "arch.tbz", "arch.txz", "arch.tzst"}, "/t/"),
          [](FileOp& op) { op.keyword = "ADD"; }),
     {{"t/top.txt", "f 0644 0:0 top"},
      {"t/arch/hard", "f 0640 1234:5678 in tar nlink=2"}}},
    {"AddChownOwnsTheDirNotTheArchive",
     With(Op({"arch.tar"}, "/owned/"),
          [](FileOp& op) {
            op.keyword = "ADD";
            op.chown = "app:staff";
          }),
     {{"owned", "d 0755 1000:50"},
      {"owned/arch/file.txt", "f 0640 1234:5678 in tar nlink=2"}}},
    {"AddIntoExistingDirKeepsItsMode",
     With(Op({"arch.tar"}, "/tmp/"), [](FileOp& op) { op.keyword = "ADD"; }),
     {{"tmp", "d 1777 0:0"}, {"tmp/top.txt", "f 0644 0:0 top"}}},
    {"AddCopiesWhatIsNoTar",
     With(Op({"notar.txt.gz", "fake.tar"}, "/c/"),
          [](FileOp& op) { op.keyword = "ADD"; }),
     {{"c/fake.tar", "f 0644 0:0 not a tar at all"},
      {"c/notar.txt.gz", "f 0644 0:0 " + NotTar()}}},
    {"AddUnpackFalseCopies",
     With(Op({"arch.tar"}, "/u/"),
          [](FileOp& op) {
            op.keyword = "ADD";
            op.unpack = false;
          }),
     {{"u/arch.tar", "f 0644 0:0 " + Archive(Codec::kNone)}}},
    {"CopyNeverExtracts",
     Op({"arch.tar"}, "/c/"),
     {{"c/arch.tar", "f 0644 0:0 " + Archive(Codec::kNone)}}},
    // Errors.
    {"MissingSource",
     Op({"missing"}, "/x"),
     {},
     absl::StatusCode::kNotFound,
     "COPY missing: \"/missing\": not found"},
    {"WildcardMatchingNothingIsSkipped",
     Op({"data/*.none", "a.txt"}, "/x/"),
     {{"x/a.txt", "f 0644 0:0 a"}}},
    {"WildcardBelowAMissingDir",
     Op({"nodir/*.txt"}, "/x/"),
     {{"x", "absent"}},
     absl::StatusCode::kNotFound,
     "not found"},
    {"DirectoryOntoFile",
     Op({"dir"}, "/file"),
     {{"file", "f 0644 0:0 f"}},
     absl::StatusCode::kFailedPrecondition,
     "/file: it exists and is not a directory"},
    {"FileOntoNestedDirectory",
     Op({"dir"}, "/clash"),
     {{"clash/x", "d 0755 0:0"}},
     absl::StatusCode::kFailedPrecondition,
     "cannot replace directory /clash/x"},
    {"BadChmod",
     With(Op({"a.txt"}, "/x"), [](FileOp& op) { op.chmod = "u+x"; }),
     {{"x", "absent"}},
     absl::StatusCode::kInvalidArgument,
     "invalid --chmod=u+x"},
    {"UrlInCopy",
     Op({"https://example.com/x"}, "/x"),
     {},
     absl::StatusCode::kInvalidArgument,
     "can't be a URL for COPY"},
    {"GitSource",
     With(Op({"https://example.com/repo.git"}, "/x"),
          [](FileOp& op) { op.keyword = "ADD"; }),
     {},
     absl::StatusCode::kUnimplemented,
     "git sources are not supported"},
    {"ChecksumOnLocalSource",
     With(Op({"a.txt"}, "/x"),
          [](FileOp& op) {
            op.keyword = "ADD";
            op.checksum = Digest::Of("a").ToString();
          }),
     {},
     absl::StatusCode::kInvalidArgument,
     "--checksum can only be used"},
    {"UrlNotDownloaded",
     With(Op({"https://example.com/f"}, "/x"),
          [](FileOp& op) { op.keyword = "ADD"; }),
     {},
     absl::StatusCode::kFailedPrecondition,
     "ADD https://example.com/f: the URL was not downloaded"},
    {"ArchiveCannotEscape",
     With(Op({"evil.tar"}, "/e/"), [](FileOp& op) { op.keyword = "ADD"; }),
     {},
     absl::StatusCode::kInvalidArgument,
     "escapes the root"},
};

INSTANTIATE_TEST_SUITE_P(Cases, FileOpTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.name;
                         });

class FileOpDetailTest : public FileOpTest {};

TEST_F(FileOpDetailTest, SourceMtimesAreKeptHeredocsGetNow) {
  struct timespec t[2] = {{1111111111, 5}, {1222222222, 7}};
  ASSERT_EQ(utimensat(AT_FDCWD, (context_ + "/dir/sub/y").c_str(), t, 0), 0);
  ASSERT_EQ(utimensat(AT_FDCWD, (context_ + "/dir/sub").c_str(), t, 0), 0);
  DirectoryTree tree = *DirectoryTree::Open(context_);
  SimulatedClock clock(absl::FromUnixSeconds(kNow));
  FileOp op = Op({"dir"}, "/d");
  op.heredocs = {{"doc", "text", true}};
  op.dest = "/d/";
  ASSERT_TRUE(RunFileOp(op, &tree, rootfs_, clock).ok());
  struct stat st;
  ASSERT_EQ(stat((rootfs_ + "/d/sub/y").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 1222222222);
  EXPECT_EQ(st.st_mtim.tv_nsec, 7);
  ASSERT_EQ(stat((rootfs_ + "/d/sub").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 1222222222);
  ASSERT_EQ(stat((rootfs_ + "/d/doc").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtime, kNow);
}

TEST_F(FileOpDetailTest, DownloadedUrlIsNamedFromTheUrl) {
  std::string fetched = tmp_ + "/download";
  ASSERT_TRUE(WriteFile(fetched, "payload").ok());
  FileOp op = Op({"https://example.com/files/tool%20v1.bin?x=1"}, "/opt/");
  op.keyword = "ADD";
  op.downloads["https://example.com/files/tool%20v1.bin?x=1"] = {fetched,
                                                                 1500000000};
  op.checksum = Digest::Of("payload").ToString();
  SimulatedClock clock(absl::FromUnixSeconds(kNow));
  absl::StatusOr<FileOpResult> r = RunFileOp(op, nullptr, rootfs_, clock);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Describe(rootfs_ + "/opt/tool v1.bin"), "f 0600 0:0 payload");
  struct stat st;
  ASSERT_EQ(stat((rootfs_ + "/opt/tool v1.bin").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtime, 1500000000);

  op.checksum = Digest::Of("other").ToString();
  r = RunFileOp(op, nullptr, rootfs_, clock);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(r.status().message(), HasSubstr("--checksum"));

  // --unpack=true extracts a downloaded archive.
  ASSERT_TRUE(WriteFile(fetched, Archive(Codec::kGzip)).ok());
  op.checksum.clear();
  op.unpack = true;
  op.dest = "/unpacked";
  ASSERT_TRUE(RunFileOp(op, nullptr, rootfs_, clock).ok());
  EXPECT_EQ(Describe(rootfs_ + "/unpacked/top.txt"), "f 0644 0:0 top");
}

TEST_F(FileOpDetailTest, OnlyAnEmptyWildcardCopiesNothing) {
  DirectoryTree tree = *DirectoryTree::Open(context_);
  absl::StatusOr<FileOpResult> r =
      RunFileOp(Op({"*.nothing"}, "/x/"), &tree, rootfs_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->entries, 0);
  EXPECT_EQ(Describe(rootfs_ + "/x"), "absent");  // as Docker: not even /x
}

TEST(ParseChmodTest, OctalOnly) {
  EXPECT_EQ(*ParseChmod(""), std::nullopt);
  EXPECT_EQ(*ParseChmod("755"), 0755u);
  EXPECT_EQ(*ParseChmod("04755"), 04755u);
  EXPECT_EQ(*ParseChmod("7777"), 07777u);
  for (const char* bad : {"8", "17777", "a+x", "-1", "0x1ff", "99999999999"}) {
    absl::StatusOr<std::optional<uint32_t>> r = ParseChmod(bad);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(r.status().message(), HasSubstr(bad));
  }
}

TEST(FileOpForTest, BuildsFromInstructions) {
  dockerfile::CopyInstruction copy;
  copy.files.paths = {"a", "b"};
  copy.files.dest = "/d/";
  copy.chown = "app";
  copy.parents = true;
  FileOp op = FileOpForCopy(copy, "/w", /*from_context=*/false);
  EXPECT_EQ(op.keyword, "COPY");
  EXPECT_EQ(op.sources, copy.files.paths);
  EXPECT_EQ(op.workdir, "/w");
  EXPECT_FALSE(op.default_owner.has_value());
  EXPECT_TRUE(op.parents);
  dockerfile::AddInstruction add;
  add.files.paths = {"https://x/y"};
  add.checksum = "sha256:00";
  add.unpack = true;
  op = FileOpForAdd(add, "/");
  EXPECT_TRUE(op.is_add());
  EXPECT_EQ(op.default_owner, Owner({0, 0}));
  EXPECT_EQ(op.checksum, "sha256:00");
  EXPECT_EQ(op.unpack, true);
}

}  // namespace
}  // namespace farm::fileops
