// RegistrySession: everything farm knows about talking to one registry:
// which scheme it answers on (HTTPS, or plain HTTP for insecure registries,
// found by pinging /v2/ once), and its Authorizer. Requests go through
// Send(), which adds authorization and answers one 401 challenge.
#ifndef FARM_IMAGE_REGISTRY_REGISTRY_SESSION_H_
#define FARM_IMAGE_REGISTRY_REGISTRY_SESSION_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "image/registry/authorizer.h"
#include "image/registry/credentials.h"
#include "image/registry/http.h"
#include "image/registry/insecure_registries.h"
#include "image/registry/registry_errors.h"

namespace farm::image::registry {

class RegistrySession {
 public:
  // `domain` as in a reference ("docker.io", "host:5000"). Pointers are not
  // owned and must outlive the session.
  RegistrySession(std::string domain, HttpTransport* transport,
                  std::shared_ptr<CredentialStore> credentials,
                  const InsecureRegistries* insecure, const Clock* clock);

  const std::string& domain() const { return domain_; }

  // Sends `request`, whose url is a path ("/v2/x/manifests/1") or an
  // absolute URL (an upload Location). `scopes` are the token scopes the
  // request needs. A 401 is answered once (new token or credentials) when
  // the body can be sent again (no body_reader). Any HTTP status is
  // returned as a response; errors are kUnavailable ("cannot reach
  // registry ..."), or from the Authorizer or the sink. Thread-safe.
  absl::StatusOr<HttpResponse> Send(HttpRequest request,
                                    const std::vector<std::string>& scopes,
                                    ByteWriter* sink = nullptr);

  // An ErrorContext for failures of `what` on this registry.
  ErrorContext Context(std::string what, std::string not_found_hint = "");

  // Checks that the registry accepts the stored credential (for `farm
  // login`): kUnauthenticated with the registry's words if it does not.
  absl::Status CheckLogin();

  // "https://host" or "http://host" once pinged, "" before.
  std::string BaseUrl();

 private:
  absl::Status Ping();

  const std::string domain_;
  HttpTransport* const transport_;
  const InsecureRegistries* const insecure_;
  Authorizer authorizer_;

  absl::Mutex ping_mu_;
  absl::Mutex mu_;
  std::string base_url_ ABSL_GUARDED_BY(mu_);
  bool verify_tls_ ABSL_GUARDED_BY(mu_) = true;
};

}  // namespace farm::image::registry

#endif  // FARM_IMAGE_REGISTRY_REGISTRY_SESSION_H_
