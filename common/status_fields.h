// One conversion between absl::Status and the result messages that carry a
// status as fields (`ok`, `error_code`, `error`: JobResult, BuildResult), so
// the worker, the scheduler and the client read and write them alike.
#ifndef FARM_COMMON_STATUS_FIELDS_H_
#define FARM_COMMON_STATUS_FIELDS_H_

#include <string>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"

namespace farm {
namespace status_fields_internal {

template <typename Message, typename = void>
struct HasOk : std::false_type {};
template <typename Message>
struct HasOk<Message,
             std::void_t<decltype(std::declval<Message&>().set_ok(true))>>
    : std::true_type {};

}  // namespace status_fields_internal

// Writes `status` into `message`: `ok` (if the message has that field) and,
// for a failure, `error_code` (the absl::StatusCode) and `error`. The error
// fields are left alone on success.
template <typename Message>
void SetStatusFields(const absl::Status& status, Message* message) {
  if constexpr (status_fields_internal::HasOk<Message>::value) {
    message->set_ok(status.ok());
  }
  if (status.ok()) return;
  message->set_error_code(static_cast<int>(status.code()));
  message->set_error(std::string(status.message()));
}

// The status `message` carries. Without an `ok` field, error_code 0 and no
// error mean success. A failure whose code is 0 (a sender that set only the
// text) reads as kUnknown, so it never turns into success.
template <typename Message>
absl::Status StatusFromFields(const Message& message) {
  if constexpr (status_fields_internal::HasOk<Message>::value) {
    if (message.ok()) return absl::OkStatus();
  } else {
    if (message.error_code() == 0 && message.error().empty()) {
      return absl::OkStatus();
    }
  }
  const int code = message.error_code() == 0
                       ? static_cast<int>(absl::StatusCode::kUnknown)
                       : message.error_code();
  return absl::Status(static_cast<absl::StatusCode>(code), message.error());
}

}  // namespace farm

#endif  // FARM_COMMON_STATUS_FIELDS_H_
