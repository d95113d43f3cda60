// The "authorization: Bearer TOKEN" metadata that carries a farm token on a
// call: made by clients, parsed by servers.
#ifndef FARM_AUTH_BEARER_H_
#define FARM_AUTH_BEARER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace farm::auth {

// The metadata key (gRPC keys are lower case).
inline constexpr char kAuthorizationMetadata[] = "authorization";

// "Bearer " + token.
std::string BearerValue(absl::string_view token);

// The token of "Bearer TOKEN": the scheme in any case, one or more spaces,
// then 1 to kMaxTokenLength bytes of visible ASCII and nothing after.
// Anything else is kUnauthenticated; no message quotes the value.
absl::StatusOr<std::string> ParseBearer(absl::string_view value);

}  // namespace farm::auth

#endif  // FARM_AUTH_BEARER_H_
