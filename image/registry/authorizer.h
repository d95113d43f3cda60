// Authorizer: the Authorization header for requests to one registry. It
// learns the registry's challenge (Basic, or Bearer with a token server),
// fetches Bearer tokens for the repository scopes a request needs (with the
// stored credentials when there are any), and caches each token until it
// nears expiry.
#ifndef FARM_IMAGE_REGISTRY_AUTHORIZER_H_
#define FARM_IMAGE_REGISTRY_AUTHORIZER_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "image/registry/challenge.h"
#include "image/registry/credentials.h"
#include "image/registry/http.h"
#include "image/registry/insecure_registries.h"

namespace farm::image::registry {

// "repository:<path>:pull" or ":pull,push".
std::string RepositoryScope(absl::string_view path, bool push);

class Authorizer {
 public:
  // Pointers are not owned and must outlive the authorizer.
  Authorizer(std::string domain, HttpTransport* transport,
             std::shared_ptr<CredentialStore> credentials,
             const InsecureRegistries* insecure, const Clock* clock);

  // Learns the challenge in a 401 answer's WWW-Authenticate fields (Bearer
  // preferred over Basic). Returns whether it named a usable scheme.
  bool LearnChallenge(const HttpHeaders& headers);

  // The header value for a request needing `scopes`, "" when the registry
  // asked for no auth (or Basic auth with no stored credential). May GET a
  // token: kUnauthenticated if the token server refuses the credentials,
  // kUnavailable if it cannot be reached. Thread-safe.
  absl::StatusOr<std::string> Authorization(
      const std::vector<std::string>& scopes);

  // Forgets the cached token for `scopes` after the registry rejected it.
  void Invalidate(const std::vector<std::string>& scopes);

  // Whether a credential is stored for this registry (errors count as no).
  bool HasCredential();

 private:
  struct Token {
    std::string value;
    absl::Time expires;
  };

  absl::StatusOr<Token> FetchToken(const Challenge& challenge,
                                   const std::vector<std::string>& scopes);
  // The stored credential as it is now (read every time).
  absl::StatusOr<std::optional<Credential>> LoadCredential();

  const std::string domain_;
  HttpTransport* const transport_;
  const std::shared_ptr<CredentialStore> credentials_;
  const InsecureRegistries* const insecure_;
  const Clock* const clock_;

  absl::Mutex mu_;
  std::optional<Challenge> challenge_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Token> tokens_ ABSL_GUARDED_BY(mu_);
  // Held while fetching a token, so parallel requests share one fetch.
  absl::Mutex fetch_mu_;
};

}  // namespace farm::image::registry

#endif  // FARM_IMAGE_REGISTRY_AUTHORIZER_H_
