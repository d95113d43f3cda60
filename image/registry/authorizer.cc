#include "image/registry/authorizer.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "image/registry/registry_errors.h"
#include "nlohmann/json.hpp"

namespace farm::image::registry {
namespace {

// Tokens are renewed this long before they expire, so a request that starts
// with a token does not see it lapse on the way.
constexpr absl::Duration kExpiryMargin = absl::Seconds(20);
// The distribution token spec's default and minimum lifetime.
constexpr int64_t kMinTokenSeconds = 60;

std::string ScopeKey(std::vector<std::string> scopes) {
  std::sort(scopes.begin(), scopes.end());
  return absl::StrJoin(scopes, " ");
}

std::string HostOfUrl(absl::string_view url) {
  size_t start = url.find("://");
  start = start == absl::string_view::npos ? 0 : start + 3;
  size_t end = url.find_first_of("/?", start);
  return std::string(url.substr(start, end - start));
}

std::string BasicHeader(const Credential& c) {
  return absl::StrCat(
      "Basic ", absl::Base64Escape(absl::StrCat(c.username, ":", c.password)));
}

}  // namespace

std::string RepositoryScope(absl::string_view path, bool push) {
  return absl::StrCat("repository:", path, push ? ":pull,push" : ":pull");
}

Authorizer::Authorizer(std::string domain, HttpTransport* transport,
                       std::shared_ptr<CredentialStore> credentials,
                       const InsecureRegistries* insecure, const Clock* clock)
    : domain_(std::move(domain)),
      transport_(transport),
      credentials_(std::move(credentials)),
      insecure_(insecure),
      clock_(clock) {}

bool Authorizer::LearnChallenge(const HttpHeaders& headers) {
  std::optional<Challenge> basic, bearer;
  for (const std::string& value : headers.GetAll("WWW-Authenticate")) {
    for (Challenge& c : ParseChallenges(value)) {
      if (c.scheme == "bearer" && !c.Param("realm").empty()) {
        bearer = std::move(c);
      } else if (c.scheme == "basic") {
        basic = std::move(c);
      }
    }
  }
  absl::MutexLock lock(&mu_);
  if (bearer) {
    bool same = challenge_ && challenge_->scheme == "bearer" &&
                challenge_->Param("realm") == bearer->Param("realm") &&
                challenge_->Param("service") == bearer->Param("service");
    if (!same) tokens_.clear();
    challenge_ = std::move(bearer);
    return true;
  }
  if (basic) {
    challenge_ = std::move(basic);
    return true;
  }
  return false;
}

absl::StatusOr<std::optional<Credential>> Authorizer::LoadCredential() {
  // Read each time, not kept: a farm that runs for long (the local server,
  // a scheduler) must see `farm login` and `farm logout` made meanwhile.
  if (credentials_ == nullptr) return std::optional<Credential>();
  return credentials_->Get(domain_);
}

bool Authorizer::HasCredential() {
  absl::StatusOr<std::optional<Credential>> c = LoadCredential();
  return c.ok() && c->has_value();
}

absl::StatusOr<std::string> Authorizer::Authorization(
    const std::vector<std::string>& scopes) {
  std::optional<Challenge> challenge;
  {
    absl::MutexLock lock(&mu_);
    challenge = challenge_;
  }
  if (!challenge) return std::string();
  ASSIGN_OR_RETURN(std::optional<Credential> credential, LoadCredential());
  if (challenge->scheme == "basic") {
    return credential ? BasicHeader(*credential) : std::string();
  }
  std::string key = ScopeKey(scopes);
  absl::MutexLock fetch_lock(&fetch_mu_);
  {
    absl::MutexLock lock(&mu_);
    auto it = tokens_.find(key);
    if (it != tokens_.end() &&
        clock_->Now() + kExpiryMargin < it->second.expires) {
      return absl::StrCat("Bearer ", it->second.value);
    }
  }
  ASSIGN_OR_RETURN(Token token, FetchToken(*challenge, scopes));
  absl::MutexLock lock(&mu_);
  tokens_[key] = token;
  return absl::StrCat("Bearer ", token.value);
}

void Authorizer::Invalidate(const std::vector<std::string>& scopes) {
  absl::MutexLock lock(&mu_);
  tokens_.erase(ScopeKey(scopes));
}

absl::StatusOr<Authorizer::Token> Authorizer::FetchToken(
    const Challenge& challenge, const std::vector<std::string>& scopes) {
  std::string realm = challenge.Param("realm");
  HttpRequest req;
  req.url = realm;
  if (!challenge.Param("service").empty()) {
    req.url = AddQueryParam(req.url, "service", challenge.Param("service"));
  }
  for (const std::string& s : scopes)
    req.url = AddQueryParam(req.url, "scope", s);
  req.verify_tls = !insecure_->Allows(HostOfUrl(realm));
  req.follow_redirects = true;
  ASSIGN_OR_RETURN(std::optional<Credential> credential, LoadCredential());
  if (credential) req.headers.Add("Authorization", BasicHeader(*credential));

  absl::StatusOr<HttpResponse> resp = transport_->Send(req);
  if (!resp.ok()) {
    return absl::Status(resp.status().code(),
                        absl::StrCat("cannot reach the token server of ",
                                     domain_, ": ", resp.status().message()));
  }
  if (resp->status != 200) {
    ErrorContext ctx;
    ctx.what = absl::StrCat("getting a token for ", domain_, " from ", realm);
    ctx.domain = domain_;
    ctx.had_credentials = credential.has_value();
    return ResponseError(*resp, ctx);
  }
  nlohmann::json j = nlohmann::json::parse(resp->body, nullptr, false);
  std::string value;
  if (j.is_object()) {
    for (const char* field : {"token", "access_token"}) {
      auto it = j.find(field);
      if (it != j.end() && it->is_string() && !it->get<std::string>().empty()) {
        value = it->get<std::string>();
        break;
      }
    }
  }
  if (value.empty()) {
    return absl::UnauthenticatedError(
        absl::StrCat("the token server ", realm, " of ", domain_,
                     " answered without a token"));
  }
  int64_t seconds = kMinTokenSeconds;
  auto it = j.find("expires_in");
  if (it != j.end() && it->is_number_integer()) {
    seconds = std::max(seconds, it->get<int64_t>());
  }
  return Token{value, clock_->Now() + absl::Seconds(seconds)};
}

}  // namespace farm::image::registry
