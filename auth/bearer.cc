#include "auth/bearer.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "auth/token_format.h"

namespace farm::auth {
namespace {

constexpr absl::string_view kScheme = "Bearer";

}  // namespace

std::string BearerValue(absl::string_view token) {
  return absl::StrCat(kScheme, " ", token);
}

absl::StatusOr<std::string> ParseBearer(absl::string_view value) {
  if (value.size() < kScheme.size() ||
      !absl::EqualsIgnoreCase(value.substr(0, kScheme.size()), kScheme) ||
      (value.size() > kScheme.size() && value[kScheme.size()] != ' ')) {
    return absl::UnauthenticatedError(
        "the call's authorization metadata is not of the form \"Bearer "
        "TOKEN\"; farm accepts no other scheme");
  }
  absl::string_view token = value.substr(kScheme.size());
  while (!token.empty() && token[0] == ' ') token.remove_prefix(1);
  if (token.empty()) {
    return absl::UnauthenticatedError(
        "the call's authorization metadata has no token after \"Bearer\"");
  }
  if (token.size() > kMaxTokenLength) {
    return absl::UnauthenticatedError(absl::StrCat(
        "the call's bearer token is longer than ", kMaxTokenLength, " bytes"));
  }
  if (!IsVisibleAscii(token)) {
    return absl::UnauthenticatedError(
        "the call's bearer token has a character outside visible ASCII "
        "(0x21-0x7e), or something follows it");
  }
  return std::string(token);
}

}  // namespace farm::auth
