// The token a client or worker sends, read from its --token-file: the
// file's one token, surrounding whitespace and line breaks dropped.
#ifndef FARM_AUTH_CLIENT_TOKEN_H_
#define FARM_AUTH_CLIENT_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"

namespace farm::auth {

// kNotFound / kPermissionDenied naming the file; kInvalidArgument when it
// holds no token, more than one word, or characters a token cannot have.
absl::StatusOr<std::string> ReadTokenFile(const std::string& path);

}  // namespace farm::auth

#endif  // FARM_AUTH_CLIENT_TOKEN_H_
