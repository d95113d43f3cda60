#include "worker/disk_reserve.h"

#include <sys/statvfs.h>

#include <cerrno>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "worker/executor/limits.h"

namespace farm::worker {

absl::StatusOr<DiskReserve> ParseDiskReserve(absl::string_view text) {
  const absl::string_view trimmed = absl::StripAsciiWhitespace(text);
  DiskReserve reserve;
  if (absl::EndsWith(trimmed, "%")) {
    double percent = 0;
    if (!absl::SimpleAtod(trimmed.substr(0, trimmed.size() - 1), &percent) ||
        !(percent >= 0) || percent >= 100) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", text, "\" is not a share of the disk below 100%"));
    }
    reserve.fraction = percent / 100;
    return reserve;
  }
  absl::StatusOr<uint64_t> bytes = executor::ParseBytes(trimmed);
  if (!bytes.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", text,
        "\" is neither a share of the disk (5%) nor a size (10GiB)"));
  }
  reserve.bytes = *bytes;
  return reserve;
}

absl::StatusOr<DiskSpace> StatDisk(const std::string& path) {
  struct statvfs st;
  if (statvfs(path.c_str(), &st) != 0) {
    return ErrnoStatus(errno, absl::StrCat("statvfs ", path));
  }
  DiskSpace space;
  space.free_bytes = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  space.total_bytes = static_cast<uint64_t>(st.f_blocks) * st.f_frsize;
  return space;
}

bool BelowReserve(const DiskSpace& space, const DiskReserve& reserve) {
  if (space.free_bytes < reserve.bytes) return true;
  return static_cast<double>(space.free_bytes) <
         reserve.fraction * static_cast<double>(space.total_bytes);
}

std::string DescribeDiskSpace(const DiskSpace& space) {
  return absl::StrCat(executor::FormatBytes(space.free_bytes), " free of ",
                      executor::FormatBytes(space.total_bytes));
}

}  // namespace farm::worker
