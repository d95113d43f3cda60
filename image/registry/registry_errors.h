// Turns a registry's error answers into absl::Status: the code follows the
// HTTP status and the registry's own error code (the JSON "errors" body of
// the distribution spec), and the message names what failed, the registry's
// words and what the user can do next.
#ifndef FARM_IMAGE_REGISTRY_REGISTRY_ERRORS_H_
#define FARM_IMAGE_REGISTRY_REGISTRY_ERRORS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "image/registry/http.h"

namespace farm::image::registry {

struct RegistryErrorEntry {
  std::string code;  // "MANIFEST_UNKNOWN"
  std::string message;
};

// The entries of a distribution-spec error body; empty if it has none.
std::vector<RegistryErrorEntry> ParseErrorBody(absl::string_view body);

struct ErrorContext {
  // What was being done: "pulling 127.0.0.1:5000/app:1" — starts the message.
  std::string what;
  // The registry domain, for "run farm login HOST".
  std::string domain;
  // Whether credentials were sent (a 401 then means they were refused).
  bool had_credentials = false;
  // Advice for a 404, e.g. "check that the tag exists".
  std::string not_found_hint;
};

// The status for a non-success `response`: 404 → kNotFound; 401 →
// kUnauthenticated; 403 → kPermissionDenied; 429 and 5xx → kUnavailable
// (the code the retry loop retries); 400 DIGEST_INVALID/SIZE_INVALID →
// kDataLoss, other 400 → kInvalidArgument; 405 → kUnimplemented; 416 →
// kAborted; anything else → kUnknown. The message reads
// "<what>: <registry message> (<CODE>, HTTP <n>): <advice>".
absl::Status ResponseError(const HttpResponse& response,
                           const ErrorContext& context);

// Adds the advice for a registry that cannot be reached to a transport
// failure (kUnavailable stays kUnavailable).
absl::Status UnreachableError(const absl::Status& transport_error,
                              absl::string_view domain);

}  // namespace farm::image::registry

#endif  // FARM_IMAGE_REGISTRY_REGISTRY_ERRORS_H_
