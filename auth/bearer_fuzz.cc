// libFuzzer target for what a call presents: ParseBearer on the whole input,
// then Authenticators of every configuration (open, tokens, client
// certificates, both) on a CallCredentials made from the input: the lines
// before the first blank line are authorization values, the rest is the
// peer certificate PEM. Checks that a parsed token round-trips, that every
// failure is kUnauthenticated and that no message quotes a token. Built and
// run by scripts/fuzz.sh.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "auth/authenticator.h"
#include "auth/bearer.h"
#include "auth/certificate_identity.h"
#include "auth/token_format.h"
#include "common/clock.h"
#include "common/fs.h"

namespace {

using farm::auth::Authenticator;
using farm::auth::CallCredentials;
using farm::auth::Identity;

// In the fuzz dictionary too, so the fuzzer can present them.
constexpr char kTokens[] =
    "client-token-0123456789 team-b client\n"
    "worker-token-0123456789 pool worker\n"
    "admin-token-0123456789abcd ops admin\n";

void Check(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "bearer_fuzz: %s\n", what);
    abort();
  }
}

farm::auth::TokenFile* Tokens() {
  static farm::auth::TokenFile* tokens = [] {
    static farm::SimulatedClock clock;  // never advances: no re-reads
    std::string dir = *farm::MakeTempDir("bearer_fuzz");
    std::string path = farm::JoinPath(dir, "tokens");
    Check(farm::WriteFile(path, kTokens).ok(), "cannot write the tokens");
    auto file = farm::auth::TokenFile::Open(path, &clock);
    Check(file.ok(), "cannot open the tokens");
    unlink(path.c_str());
    rmdir(dir.c_str());
    return file->release();
  }();
  return tokens;
}

void CheckBearer(absl::string_view value) {
  absl::StatusOr<std::string> token = farm::auth::ParseBearer(value);
  if (!token.ok()) {
    Check(token.status().code() == absl::StatusCode::kUnauthenticated,
          "a ParseBearer error that is not kUnauthenticated");
    return;
  }
  Check(!token->empty() && token->size() <= farm::auth::kMaxTokenLength &&
            farm::auth::IsVisibleAscii(*token),
        "ParseBearer accepted a malformed token");
  Check(value.substr(value.size() - token->size()) == *token,
        "the token is not the end of the value");
  absl::StatusOr<std::string> again =
      farm::auth::ParseBearer(farm::auth::BearerValue(*token));
  Check(again.ok() && *again == *token, "BearerValue does not round-trip");
}

void CheckAuthenticate(const Authenticator& authenticator,
                       const CallCredentials& call) {
  absl::StatusOr<Identity> identity = authenticator.Authenticate(call);
  if (identity.ok()) {
    Check(farm::auth::IsValidTenant(identity->tenant), "an invalid tenant");
    return;
  }
  Check(identity.status().code() == absl::StatusCode::kUnauthenticated,
        "an Authenticate error that is not kUnauthenticated");
  for (const std::string& value : call.authorization) {
    absl::StatusOr<std::string> token = farm::auth::ParseBearer(value);
    if (!token.ok() || token->size() < farm::auth::kMinTokenLength) continue;
    Check(identity.status().message().find(*token) == absl::string_view::npos,
          "an error message quotes the token");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  CheckBearer(text);

  CallCredentials call;
  size_t blank = text.find("\n\n");
  absl::string_view values = text.substr(0, blank);
  if (blank != absl::string_view::npos) {
    call.peer_certificate_pem = std::string(text.substr(blank + 2));
  }
  if (!values.empty()) {
    call.authorization = absl::StrSplit(values, '\n');
    for (const std::string& value : call.authorization) CheckBearer(value);
  }
  auto subject = farm::auth::ParseCertificateSubject(call.peer_certificate_pem);
  if (subject.ok()) (void)farm::auth::IdentityFromCertificate(*subject);

  static const Authenticator* const kAuthenticators[] = {
      new Authenticator({nullptr, false}),
      new Authenticator({Tokens(), false}),
      new Authenticator({nullptr, true}),
      new Authenticator({Tokens(), true}),
  };
  for (const Authenticator* authenticator : kAuthenticators) {
    CheckAuthenticate(*authenticator, call);
  }
  return 0;
}
