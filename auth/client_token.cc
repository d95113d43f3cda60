#include "auth/client_token.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "auth/token_format.h"
#include "common/fs.h"
#include "common/status_macros.h"

namespace farm::auth {

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return Annotate(text.status(), "reading the token file");
  std::string token(absl::StripAsciiWhitespace(*text));
  if (token.empty() || token.size() > kMaxTokenLength ||
      !IsVisibleAscii(token)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the token file ", path, " must hold one token of 1 to ",
                     kMaxTokenLength, " visible ASCII characters"));
  }
  return token;
}

}  // namespace farm::auth
