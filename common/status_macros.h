// RETURN_IF_ERROR / ASSIGN_OR_RETURN: Debian's Abseil (20220623) ships no
// status macros, so farm defines them once here.
#ifndef FARM_COMMON_STATUS_MACROS_H_
#define FARM_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace farm {

// Returns `status` with `context` prepended to its message, keeping the code:
// "pushing layer sha256:...: <cause>".
inline absl::Status Annotate(const absl::Status& status,
                             absl::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(),
                      absl::StrCat(context, ": ", status.message()));
}

}  // namespace farm

#define FARM_STATUS_CONCAT_INNER_(a, b) a##b
#define FARM_STATUS_CONCAT_(a, b) FARM_STATUS_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::absl::Status farm_status_ = (expr);              \
    if (!farm_status_.ok()) return farm_status_;       \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, expr)                                     \
  FARM_ASSIGN_OR_RETURN_IMPL_(                                          \
      FARM_STATUS_CONCAT_(farm_statusor_, __LINE__), lhs, expr)

#define FARM_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                \
  if (!statusor.ok()) return statusor.status();          \
  lhs = std::move(statusor).value()

#endif  // FARM_COMMON_STATUS_MACROS_H_
