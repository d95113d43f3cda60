#include "auth/token_table.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "auth/token_format.h"
#include "common/status_macros.h"

namespace farm::auth {
namespace {

// The fields of one non-comment line, or an error without the FILE:LINE
// prefix.
absl::StatusOr<std::vector<absl::string_view>> SplitLine(
    absl::string_view line) {
  std::vector<absl::string_view> fields =
      absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
  // A comment may follow the three fields ("TOKEN team-a client # CI").
  // Only after them: a token may itself hold a '#'.
  if (fields.size() > 3 && absl::StartsWith(fields[3], "#")) fields.resize(3);
  if (fields.size() != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected TOKEN TENANT ROLE separated by spaces, found ",
                     fields.size(), fields.size() == 1 ? " field" : " fields"));
  }
  const absl::string_view token = fields[0];
  if (token.size() < kMinTokenLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("the token is shorter than ", kMinTokenLength,
                     " characters; generate a long random one, e.g. with "
                     "`openssl rand -hex 32`"));
  }
  if (token.size() > kMaxTokenLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the token is longer than ", kMaxTokenLength, " characters"));
  }
  if (!IsVisibleAscii(token)) {
    return absl::InvalidArgumentError(
        "the token has a character outside visible ASCII (0x21-0x7e)");
  }
  if (!IsValidTenant(fields[1])) {
    return absl::InvalidArgumentError(
        "the tenant (second field) is not a valid tenant name: 1 to 63 "
        "letters, digits, '.', '_' or '-', starting with a letter or digit");
  }
  if (!ParseRole(fields[2]).ok()) {
    return absl::InvalidArgumentError(
        "the role (third field) must be client, worker or admin");
  }
  return fields;
}

}  // namespace

TokenTable::Sha256 TokenTable::Hash(absl::string_view token) {
  Sha256 digest;
  unsigned int size = 0;
  EVP_Digest(token.data(), token.size(), digest.data(), &size, EVP_sha256(),
             nullptr);
  return digest;
}

absl::StatusOr<TokenTable> TokenTable::Parse(absl::string_view text,
                                             absl::string_view file_name) {
  TokenTable table;
  absl::flat_hash_map<std::string, int> line_of_digest;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (absl::EndsWith(line, "\r")) line.remove_suffix(1);
    absl::string_view content = absl::StripLeadingAsciiWhitespace(line);
    if (content.empty() || content[0] == '#') continue;
    const std::string where = absl::StrCat(file_name, ":", line_number);
    absl::StatusOr<std::vector<absl::string_view>> fields = SplitLine(line);
    if (!fields.ok()) return Annotate(fields.status(), where);
    Entry entry{Hash((*fields)[0]),
                Identity{std::string((*fields)[1]), *ParseRole((*fields)[2]),
                         absl::StrCat("token on line ", line_number, " of ",
                                      file_name)}};
    std::string key(entry.digest.begin(), entry.digest.end());
    auto [it, inserted] = line_of_digest.emplace(key, line_number);
    if (!inserted) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": this token is already on line ", it->second,
                       "; each token must name exactly one identity"));
    }
    table.entries_.push_back(std::move(entry));
  }
  return table;
}

std::optional<Identity> TokenTable::Find(absl::string_view token) const {
  const Sha256 digest = Hash(token);
  // Every entry is compared, in constant time, and the index of the match
  // (tokens are unique, so at most one) is selected without a branch.
  size_t found = entries_.size();
  for (size_t i = 0; i < entries_.size(); ++i) {
    const size_t equal = CRYPTO_memcmp(digest.data(), entries_[i].digest.data(),
                                       digest.size()) == 0;
    const size_t mask = 0 - equal;  // all ones when equal
    found = (i & mask) | (found & ~mask);
  }
  if (found == entries_.size()) return std::nullopt;
  return entries_[found].identity;
}

}  // namespace farm::auth
