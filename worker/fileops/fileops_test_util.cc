#include "worker/fileops/fileops_test_util.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/fs.h"
#include "common/io.h"
#include "gtest/gtest.h"
#include "image/tar/tar_writer.h"

namespace farm::fileops::testing {

std::string Describe(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return "absent";
  std::string owner = absl::StrCat(st.st_uid, ":", st.st_gid);
  std::string mode = absl::StrFormat("%04o", st.st_mode & 07777);
  if (S_ISDIR(st.st_mode)) return absl::StrCat("d ", mode, " ", owner);
  if (S_ISLNK(st.st_mode)) {
    char target[4096];
    ssize_t n = readlink(path.c_str(), target, sizeof(target));
    return absl::StrCat("l ", owner, " -> ",
                        std::string(target, n > 0 ? n : 0));
  }
  if (S_ISREG(st.st_mode)) {
    std::string out =
        absl::StrCat("f ", mode, " ", owner, " ", ReadFile(path).value_or("?"));
    if (st.st_nlink > 1) absl::StrAppend(&out, " nlink=", st.st_nlink);
    return out;
  }
  return absl::StrCat("other ", mode, " ", owner);
}

void BuildTree(const std::string& root, const std::vector<std::string>& lines) {
  for (const std::string& line : lines) {
    std::vector<std::string> f = absl::StrSplit(line, absl::MaxSplits(' ', 4));
    ASSERT_GE(f.size(), 3u) << line;
    std::string path = JoinPath(root, f[1]);
    if (f[0] == "l") {
      ASSERT_EQ(symlink(f[2].c_str(), path.c_str()), 0) << line;
      continue;
    }
    if (f[0] == "h") {
      ASSERT_EQ(link(JoinPath(root, f[2]).c_str(), path.c_str()), 0) << line;
      continue;
    }
    ASSERT_GE(f.size(), 4u) << line;
    uint32_t mode = std::stoul(f[2], nullptr, 8);
    std::pair<std::string, std::string> ids = absl::StrSplit(f[3], ':');
    int uid = std::stoi(ids.first), gid = std::stoi(ids.second);
    if (f[0] == "d") {
      ASSERT_EQ(mkdir(path.c_str(), 0700), 0) << line;
    } else {
      ASSERT_TRUE(WriteFile(path, f.size() > 4 ? f[4] : "").ok()) << line;
    }
    ASSERT_EQ(lchown(path.c_str(), uid, gid), 0) << line;
    ASSERT_EQ(chmod(path.c_str(), mode), 0) << line;
  }
}

namespace {
void Walk(const std::string& root, const std::string& rel,
          std::map<std::string, std::string>& out) {
  std::string dir = rel.empty() ? root : JoinPath(root, rel);
  absl::StatusOr<std::vector<std::string>> names = ListDir(dir);
  if (!names.ok()) return;
  for (const std::string& name : *names) {
    std::string child = rel.empty() ? name : rel + "/" + name;
    std::string d = Describe(JoinPath(root, child));
    out[child] = d;
    if (d[0] == 'd') Walk(root, child, out);
  }
}
}  // namespace

std::map<std::string, std::string> DescribeTree(const std::string& root) {
  std::map<std::string, std::string> out;
  Walk(root, "", out);
  return out;
}

std::string Compress(const std::string& data, Codec codec) {
  if (codec == Codec::kNone) return data;
  struct archive* a = archive_write_new();
  switch (codec) {
    case Codec::kGzip:
      archive_write_add_filter_gzip(a);
      break;
    case Codec::kBzip2:
      archive_write_add_filter_bzip2(a);
      break;
    case Codec::kXz:
      archive_write_add_filter_xz(a);
      break;
    case Codec::kZstd:
      archive_write_add_filter_zstd(a);
      break;
    case Codec::kNone:
      break;
  }
  archive_write_set_format_raw(a);
  archive_write_set_bytes_in_last_block(a, 1);
  std::string out(data.size() + (1 << 16), '\0');
  size_t used = 0;
  EXPECT_EQ(archive_write_open_memory(a, out.data(), out.size(), &used),
            ARCHIVE_OK);
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "data");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_size(e, data.size());
  EXPECT_EQ(archive_write_header(a, e), ARCHIVE_OK) << archive_error_string(a);
  EXPECT_EQ(archive_write_data(a, data.data(), data.size()),
            static_cast<la_ssize_t>(data.size()));
  archive_entry_free(e);
  EXPECT_EQ(archive_write_close(a), ARCHIVE_OK) << archive_error_string(a);
  archive_write_free(a);
  out.resize(used);
  return out;
}

std::string Tar(const std::vector<TarMember>& members) {
  std::string out;
  StringWriter sink(&out);
  image::tar::TarWriter w(&sink);
  for (const TarMember& m : members) {
    image::tar::TarEntry e;
    e.name = m.name;
    e.type = m.type;
    e.mode = m.mode;
    e.uid = m.uid;
    e.gid = m.gid;
    e.mtime = 1234567890;
    if (m.type == image::tar::TarType::kRegular) {
      e.size = m.data.size();
    } else {
      e.linkname = m.data;
    }
    EXPECT_TRUE(w.WriteHeader(e).ok());
    if (m.type == image::tar::TarType::kRegular) {
      EXPECT_TRUE(w.WriteData(m.data).ok());
    }
  }
  EXPECT_TRUE(w.Finish().ok());
  return out;
}

}  // namespace farm::fileops::testing
