// TokenTable: the identities of a --tokens file, looked up by bearer token.
// Only SHA-256 digests of the tokens are kept, and a lookup compares the
// candidate's digest with every entry, so its time does not reveal how much
// of a token matched or where in the file it is.
#ifndef FARM_AUTH_TOKEN_TABLE_H_
#define FARM_AUTH_TOKEN_TABLE_H_

#include <array>
#include <cstddef>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "auth/identity.h"

namespace farm::auth {

class TokenTable {
 public:
  // The empty table: every Find fails.
  TokenTable() = default;

  // Parses a --tokens file: one `TOKEN TENANT ROLE` a line, fields separated
  // by spaces or tabs; blank lines and lines whose first non-blank character
  // is '#' are ignored, and a trailing '\r' is tolerated. A token is
  // kMinTokenLength to kMaxTokenLength bytes of visible ASCII and appears
  // once. Any other line is kInvalidArgument "FILE:LINE: ...", with
  // `file_name` as FILE. No message ever quotes a field of the line, since
  // the fields of a malformed line may hold a token.
  static absl::StatusOr<TokenTable> Parse(absl::string_view text,
                                          absl::string_view file_name);

  // The identity `token` names, or nullopt. Takes the same time whatever the
  // token's content and whichever entry (if any) it matches. Thread-safe
  // (const).
  std::optional<Identity> Find(absl::string_view token) const;

  size_t size() const { return entries_.size(); }

 private:
  using Sha256 = std::array<unsigned char, 32>;
  struct Entry {
    Sha256 digest;
    Identity identity;
  };
  static Sha256 Hash(absl::string_view token);

  std::vector<Entry> entries_;
};

}  // namespace farm::auth

#endif  // FARM_AUTH_TOKEN_TABLE_H_
