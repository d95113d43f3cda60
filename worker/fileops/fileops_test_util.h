// Test support for file operations: a compact description of an entry on
// disk to compare against, trees built from a few lines, and data
// compressed with any codec ADD must recognise.
#ifndef FARM_WORKER_FILEOPS_FILEOPS_TEST_UTIL_H_
#define FARM_WORKER_FILEOPS_FILEOPS_TEST_UTIL_H_

#include <map>
#include <string>
#include <vector>

#include "image/tar/tar_entry.h"

namespace farm::fileops::testing {

// "f 0644 0:0 <content>", "d 0755 0:0", "l 0:0 -> <target>", plus
// " nlink=N" for a file with more than one link; "absent" when missing.
std::string Describe(const std::string& path);

// Lines of the form "f PATH MODE UID:GID CONTENT", "d PATH MODE UID:GID",
// "l PATH TARGET", "h PATH EXISTING" (hardlink); parents must come first.
// Fails the test on error.
void BuildTree(const std::string& root, const std::vector<std::string>& lines);

// Every entry below `root`, by relative path, described as Describe does.
std::map<std::string, std::string> DescribeTree(const std::string& root);

enum class Codec { kNone, kGzip, kBzip2, kXz, kZstd };
// `data` compressed with libarchive's filter for `codec`.
std::string Compress(const std::string& data, Codec codec);

struct TarMember {
  std::string name;
  image::tar::TarType type = image::tar::TarType::kRegular;
  std::string data;  // content, or link target
  uint32_t mode = 0644;
  int uid = 0, gid = 0;
};
std::string Tar(const std::vector<TarMember>& members);

}  // namespace farm::fileops::testing

#endif  // FARM_WORKER_FILEOPS_FILEOPS_TEST_UTIL_H_
