// libFuzzer target for the --tokens file parser: parses arbitrary bytes as a
// token file, then looks up every field of every line, and checks that a
// table finds each token it accepted and that no error message quotes a
// token-like field. Any crash, sanitizer report or abort is a bug. Built and
// run by scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "auth/token_format.h"
#include "auth/token_table.h"

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "token_table_fuzz: %s\n", what);
    abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using farm::auth::Identity;
  using farm::auth::TokenTable;
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<TokenTable> table = TokenTable::Parse(text, "tokens");

  std::vector<absl::string_view> fields =
      absl::StrSplit(text, absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty());
  if (!table.ok()) {
    Check(table.status().code() == absl::StatusCode::kInvalidArgument,
          "a parse error that is not kInvalidArgument");
    for (absl::string_view field : fields) {
      if (field.size() < farm::auth::kMinTokenLength) continue;
      Check(table.status().message().find(field) == absl::string_view::npos,
            "an error message quotes a token-like field");
    }
    return 0;
  }
  Check(!table->Find("").has_value(), "the empty token was found");
  Check(!table->Find(text).has_value(), "the whole file was found as a token");
  size_t found = 0;
  for (absl::string_view field : fields) {
    std::optional<Identity> identity = table->Find(field);
    if (!identity.has_value()) continue;
    ++found;
    Check(farm::auth::IsValidTenant(identity->tenant), "an invalid tenant");
    Check(absl::string_view(identity->source).find(field) ==
              absl::string_view::npos,
          "a source quotes its token");
  }
  Check(found >= table->size(), "an accepted token is not found");
  return 0;
}
