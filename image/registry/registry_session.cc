#include "image/registry/registry_session.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "image/registry/reference.h"

namespace farm::image::registry {

RegistrySession::RegistrySession(std::string domain, HttpTransport* transport,
                                 std::shared_ptr<CredentialStore> credentials,
                                 const InsecureRegistries* insecure,
                                 const Clock* clock)
    : domain_(std::move(domain)),
      transport_(transport),
      insecure_(insecure),
      authorizer_(domain_, transport, std::move(credentials), insecure, clock) {
}

std::string RegistrySession::BaseUrl() {
  absl::MutexLock lock(&mu_);
  return base_url_;
}

absl::Status RegistrySession::Ping() {
  absl::MutexLock ping_lock(&ping_mu_);
  {
    absl::MutexLock lock(&mu_);
    if (!base_url_.empty()) return absl::OkStatus();
  }
  std::string host = RegistryHostFor(domain_);
  bool insecure = insecure_->Allows(domain_);
  // HTTPS first, as Docker does; an insecure registry may then fall back
  // to plain HTTP when the TLS connection fails.
  std::vector<std::string> schemes = {"https"};
  if (insecure) schemes.push_back("http");
  absl::Status failure;
  for (const std::string& scheme : schemes) {
    HttpRequest req;
    req.url = absl::StrCat(scheme, "://", host, "/v2/");
    req.verify_tls = !insecure;
    absl::StatusOr<HttpResponse> resp = transport_->Send(req);
    if (!resp.ok()) {
      failure = resp.status();
      continue;
    }
    if (resp->status == 401) authorizer_.LearnChallenge(resp->headers);
    absl::MutexLock lock(&mu_);
    base_url_ = absl::StrCat(scheme, "://", host);
    verify_tls_ = !insecure;
    return absl::OkStatus();
  }
  return UnreachableError(failure, domain_);
}

absl::StatusOr<HttpResponse> RegistrySession::Send(
    HttpRequest request, const std::vector<std::string>& scopes,
    ByteWriter* sink) {
  RETURN_IF_ERROR(Ping());
  {
    absl::MutexLock lock(&mu_);
    request.url = ResolveUrl(base_url_, request.url);
    request.verify_tls = verify_tls_;
  }
  bool replayable = request.body_reader == nullptr;
  for (int attempt = 0;; ++attempt) {
    ASSIGN_OR_RETURN(std::string auth, authorizer_.Authorization(scopes));
    if (!auth.empty()) request.headers.Set("Authorization", auth);
    absl::StatusOr<HttpResponse> resp = transport_->Send(request, sink);
    if (!resp.ok()) {
      if (absl::IsUnavailable(resp.status())) {
        return UnreachableError(resp.status(), domain_);
      }
      return resp.status();
    }
    if (resp->status != 401 || attempt > 0 || !replayable) return resp;
    authorizer_.Invalidate(scopes);
    bool learned = authorizer_.LearnChallenge(resp->headers);
    bool basic_refused = absl::StartsWith(auth, "Basic ");
    if (!learned || basic_refused ||
        (absl::StrContains(resp->headers.Get("WWW-Authenticate"), "Basic") &&
         !authorizer_.HasCredential())) {
      return resp;
    }
  }
}

ErrorContext RegistrySession::Context(std::string what,
                                      std::string not_found_hint) {
  ErrorContext c;
  c.what = std::move(what);
  c.domain = domain_;
  c.had_credentials = authorizer_.HasCredential();
  c.not_found_hint = std::move(not_found_hint);
  return c;
}

absl::Status RegistrySession::CheckLogin() {
  RETURN_IF_ERROR(Ping());
  HttpRequest req;
  req.url = "/v2/";
  ASSIGN_OR_RETURN(HttpResponse resp, Send(req, {}));
  if (resp.status >= 200 && resp.status < 300) return absl::OkStatus();
  return ResponseError(resp, Context(absl::StrCat("logging in to ", domain_)));
}

}  // namespace farm::image::registry
