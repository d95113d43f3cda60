#include "cache/budget.h"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

namespace farm::cache {

namespace {

std::string Gigabytes(uint64_t bytes) {
  return absl::StrFormat("%.1f GB", static_cast<double>(bytes) / 1e9);
}

// The size of the filesystem that holds `dir`, asking its nearest existing
// parent when `dir` is not made yet.
absl::StatusOr<uint64_t> FilesystemBytes(std::string dir) {
  while (true) {
    struct statvfs fs;
    if (statvfs(dir.c_str(), &fs) == 0) {
      return static_cast<uint64_t>(fs.f_blocks) * fs.f_frsize;
    }
    if (errno != ENOENT || dir == "/" || dir.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("statvfs ", dir, ": ", strerror(errno)));
    }
    size_t slash = dir.find_last_of('/');
    dir = slash == 0                   ? "/"
          : slash == std::string::npos ? "."
                                       : dir.substr(0, slash);
  }
}

}  // namespace

absl::StatusOr<Budget> ResolveBudget(absl::string_view spec,
                                     const std::string& dir) {
  Budget budget;
  if (absl::ConsumeSuffix(&spec, "%")) {
    double percent = 0;
    if (!absl::SimpleAtod(spec, &percent) || !(percent > 0) || percent > 100) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cache budget \"", spec, "%\": want a share in (0, 100]%"));
    }
    absl::StatusOr<uint64_t> size = FilesystemBytes(dir);
    if (!size.ok()) return size.status();
    budget.bytes =
        static_cast<uint64_t>(static_cast<double>(*size) * percent / 100);
    budget.description =
        absl::StrCat(Gigabytes(budget.bytes), " (", spec, "% of the ",
                     Gigabytes(*size), " filesystem of ", dir, ")");
    return budget;
  }
  if (!absl::SimpleAtoi(spec, &budget.bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cache budget \"", spec,
                     "\": want a number of bytes or a share "
                     "of the filesystem such as 50%"));
  }
  budget.description = budget.bytes == 0 ? "none (0)" : Gigabytes(budget.bytes);
  return budget;
}

}  // namespace farm::cache
