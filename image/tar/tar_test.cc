#include <sys/stat.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image/tar/tar_reader.h"
#include "image/tar/tar_writer.h"

namespace farm::image::tar {
namespace {

using ::testing::HasSubstr;

struct Member {
  TarEntry entry;
  std::string data;
};

std::string Write(const std::vector<Member>& members) {
  std::string out;
  StringWriter sink(&out);
  TarWriter w(&sink);
  for (const Member& m : members) {
    EXPECT_TRUE(w.WriteHeader(m.entry).ok());
    EXPECT_TRUE(w.WriteData(m.data).ok());
  }
  EXPECT_TRUE(w.Finish().ok());
  return out;
}

absl::StatusOr<std::vector<Member>> ReadAllMembers(std::string tar,
                                                   TarReaderOptions opts = {}) {
  StringReader in(std::move(tar));
  TarReader r(&in, opts);
  std::vector<Member> out;
  while (true) {
    Member m;
    absl::StatusOr<bool> more = r.Next(&m.entry);
    if (!more.ok()) return more.status();
    if (!*more) return out;
    absl::StatusOr<std::string> data = ReadAll(r);
    if (!data.ok()) return data.status();
    m.data = *data;
    out.push_back(std::move(m));
  }
}

TarEntry File(std::string name, int64_t size) {
  TarEntry e;
  e.name = std::move(name);
  e.size = size;
  e.mtime = 1700000000;
  return e;
}

std::vector<Member> Variety() {
  std::vector<Member> v;
  v.push_back({File("plain.txt", 5), "hello"});
  TarEntry dir = File("dir/", 0);
  dir.type = TarType::kDirectory;
  dir.mode = 01755;
  v.push_back({dir, ""});
  std::string long_dir(120, 'd');
  v.push_back({File(long_dir + "/" + std::string(90, 'f'), 3), "abc"});
  v.push_back({File(std::string(250, 'x'), 1), "1"});
  v.push_back({File("caf\xc3\xa9/na\xefve", 0), ""});
  TarEntry big_owner = File("owner", 0);
  big_owner.uid = 100000000;
  big_owner.gid = 3000000;
  big_owner.mode = 04711;
  v.push_back({big_owner, ""});
  TarEntry link = File("link", 0);
  link.type = TarType::kSymlink;
  link.mode = 0777;
  link.linkname = "../" + std::string(150, 't');
  v.push_back({link, ""});
  TarEntry hard = File("hard", 0);
  hard.type = TarType::kHardlink;
  hard.linkname = "plain.txt";
  v.push_back({hard, ""});
  TarEntry dev = File("null", 0);
  dev.type = TarType::kCharDevice;
  dev.devmajor = 1;
  dev.devminor = 3;
  v.push_back({dev, ""});
  TarEntry fifo = File("fifo", 0);
  fifo.type = TarType::kFifo;
  v.push_back({fifo, ""});
  TarEntry cap = File("ping", 4);
  cap.mode = 0755;
  cap.xattrs["security.capability"] =
      std::string("\x01\x00\x00\x02\x00\x20", 6);
  v.push_back({cap, "ELF!"});
  return v;
}

TEST(TarTest, RoundTripsEveryKindOfMember) {
  std::vector<Member> in = Variety();
  std::string tar = Write(in);
  EXPECT_EQ(tar.size() % 512, 0u);
  absl::StatusOr<std::vector<Member>> out = ReadAllMembers(tar);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const TarEntry& a = in[i].entry;
    const TarEntry& b = (*out)[i].entry;
    SCOPED_TRACE(a.name);
    EXPECT_EQ(b.name, a.name);
    EXPECT_EQ(b.type, a.type);
    EXPECT_EQ(b.linkname, a.linkname);
    EXPECT_EQ(b.mode, a.mode);
    EXPECT_EQ(b.uid, a.uid);
    EXPECT_EQ(b.gid, a.gid);
    EXPECT_EQ(b.size, a.size);
    EXPECT_EQ(b.mtime, a.mtime);
    EXPECT_EQ(b.devmajor, a.devmajor);
    EXPECT_EQ(b.devminor, a.devminor);
    EXPECT_EQ(b.xattrs, a.xattrs);
    EXPECT_EQ((*out)[i].data, in[i].data);
  }
}

TEST(TarTest, OutputIsUstarWithPaxOnlyWhenNeeded) {
  std::string tar = Write({{File("a", 1), "x"}});
  // One header, one data block, two end blocks; no PAX header.
  ASSERT_EQ(tar.size(), 4u * 512);
  EXPECT_EQ(tar.substr(257, 8), std::string("ustar\0"
                                            "00",
                                            8));
  EXPECT_EQ(tar.substr(100, 8), std::string("0000644\0", 8));
  EXPECT_EQ(tar[156], '0');
  EXPECT_EQ(tar.substr(265, 32), std::string(32, '\0')) << "uname is empty";

  std::string xattr_tar = Write({{Variety().back().entry, "ELF!"}});
  EXPECT_EQ(xattr_tar[156], 'x');
  EXPECT_EQ(xattr_tar.substr(0, 17), "PaxHeaders.0/ping");
  EXPECT_THAT(xattr_tar.substr(512, 512),
              HasSubstr("SCHILY.xattr.security.capability="));
  // Deterministic: the same entries give the same bytes.
  EXPECT_EQ(Write(Variety()), Write(Variety()));
}

TEST(TarTest, GnuTarReadsWhatWeWrite) {
  absl::StatusOr<std::string> dir = MakeTempDir("tar_test");
  ASSERT_TRUE(dir.ok());
  std::vector<Member> members = Variety();
  members.erase(members.begin() + 8);  // no device node needed here
  ASSERT_TRUE(WriteFile(*dir + "/a.tar", Write(members)).ok());
  std::string cmd = absl::StrCat("tar --numeric-owner -tvf ", *dir, "/a.tar > ",
                                 *dir, "/list 2>&1");
  ASSERT_EQ(std::system(cmd.c_str()), 0) << *ReadFile(*dir + "/list");
  std::string list = *ReadFile(*dir + "/list");
  EXPECT_THAT(list, HasSubstr("-rws--x--x 100000000/3000000 0"));
  EXPECT_THAT(list,
              HasSubstr(std::string(120, 'd') + "/" + std::string(90, 'f')));
  EXPECT_THAT(list, HasSubstr(std::string(250, 'x')));
  EXPECT_THAT(list, HasSubstr("hard link to plain.txt"));
  EXPECT_THAT(list, HasSubstr("drwxr-xr-t"));
  ASSERT_TRUE(RemoveAll(*dir).ok());
}

TEST(TarTest, TruncatedArchiveIsDataLossNamingTheMember) {
  std::string tar = Write({{File("first", 3), "abc"},
                           {File("second", 2000), std::string(2000, 'z')}});
  tar.resize(512 * 4);  // cut inside the data of "second"
  absl::StatusOr<std::vector<Member>> out = ReadAllMembers(tar);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(out.status().message(), HasSubstr("member #2 (second)"));
}

TEST(TarTest, DamagedHeaderIsDataLoss) {
  std::string tar = Write({{File("first", 3), "abc"}, {File("second", 0), ""}});
  tar[1024 + 148] ^= 0x7;  // checksum of the second header
  absl::StatusOr<std::vector<Member>> out = ReadAllMembers(tar);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(out.status().message(), HasSubstr("after #1 (first)"));
}

TEST(TarTest, HeaderCapIsResourceExhausted) {
  std::string tar;
  StringWriter sink(&tar);
  TarWriter w(&sink);
  ASSERT_TRUE(w.WriteSpecial('x', "PaxHeaders.0/big",
                             "30 comment=" + std::string(18, 'c') + "\n" +
                                 std::string(100000, '\n'))
                  .ok());
  ASSERT_TRUE(w.WriteHeader(File("big", 0)).ok());
  ASSERT_TRUE(w.Finish().ok());
  TarReaderOptions opts;
  opts.max_header_bytes = 64 * 1024;
  absl::StatusOr<std::vector<Member>> out = ReadAllMembers(tar, opts);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kResourceExhausted)
      << out.status();
  EXPECT_THAT(out.status().message(),
              HasSubstr("more than the limit of 65536"));
}

class FailingReader : public ByteReader {
 public:
  absl::StatusOr<size_t> Read(char*, size_t) override {
    return absl::DataLossError("gzip: bad CRC");
  }
};

TEST(TarTest, SourceErrorsPassThrough) {
  FailingReader in;
  TarReader r(&in);
  TarEntry e;
  absl::StatusOr<bool> more = r.Next(&e);
  EXPECT_EQ(more.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(more.status().message(), HasSubstr("gzip: bad CRC"));
}

}  // namespace
}  // namespace farm::image::tar
