// A cache's byte budget as an operator gives it: a number of bytes ("0"
// for none), or a share of the filesystem the cache lives on ("50%"), so
// that a cache left at its default never fills its disk.
#ifndef FARM_CACHE_BUDGET_H_
#define FARM_CACHE_BUDGET_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace farm::cache {

struct Budget {
  uint64_t bytes = 0;  // 0: no budget
  // For the start-up log: "126.0 GB (50% of the 252.0 GB filesystem of
  // /var/lib/farm-cache)".
  std::string description;
};

// `spec` is "N" bytes or "P%" (0 < P <= 100) of the filesystem holding
// `dir` (or its nearest existing parent). kInvalidArgument for anything
// else; the statvfs error for a filesystem it cannot read.
absl::StatusOr<Budget> ResolveBudget(absl::string_view spec,
                                     const std::string& dir);

}  // namespace farm::cache

#endif  // FARM_CACHE_BUDGET_H_
