// TarEntry: the metadata of one tar member as farm reads and writes it,
// independent of the on-disk header flavour (ustar, PAX, GNU).
#ifndef FARM_IMAGE_TAR_TAR_ENTRY_H_
#define FARM_IMAGE_TAR_TAR_ENTRY_H_

#include <cstdint>
#include <map>
#include <string>

namespace farm::image::tar {

enum class TarType : char {
  kRegular = '0',
  kHardlink = '1',
  kSymlink = '2',
  kCharDevice = '3',
  kBlockDevice = '4',
  kDirectory = '5',
  kFifo = '6',
};

struct TarEntry {
  std::string name;  // raw bytes, as stored; directories may end in '/'
  TarType type = TarType::kRegular;
  std::string linkname;  // target of a symlink or hardlink
  uint32_t mode = 0644;  // permission bits plus setuid/setgid/sticky
  int64_t uid = 0;
  int64_t gid = 0;
  std::string uname;  // farm writes these empty: owners are numeric
  std::string gname;
  int64_t size = 0;   // data bytes; only regular files carry data
  int64_t mtime = 0;  // seconds since the epoch
  uint32_t devmajor = 0;
  uint32_t devminor = 0;
  // Extended attributes, e.g. "security.capability" → raw value.
  std::map<std::string, std::string> xattrs;
};

}  // namespace farm::image::tar

#endif  // FARM_IMAGE_TAR_TAR_ENTRY_H_
