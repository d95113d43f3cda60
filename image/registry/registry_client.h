// RegistryClient: the shared state for talking to registries: transport,
// credentials, insecure list, retry policy, and one RegistrySession per
// registry (scheme, tokens). ImagePuller and ImagePusher work through it;
// `farm login` uses CheckLogin.
#ifndef FARM_IMAGE_REGISTRY_REGISTRY_CLIENT_H_
#define FARM_IMAGE_REGISTRY_REGISTRY_CLIENT_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "image/oci/descriptor.h"
#include "image/registry/blob_ops.h"
#include "image/registry/credentials.h"
#include "image/registry/http.h"
#include "image/registry/insecure_registries.h"
#include "image/registry/registry_session.h"
#include "image/registry/retry.h"

namespace farm::image::registry {

struct RegistryClientOptions {
  std::shared_ptr<HttpTransport> transport;      // null: a CurlTransport
  std::shared_ptr<CredentialStore> credentials;  // null: anonymous
  InsecureRegistries insecure;                   // loopback by default
  RetryPolicy retry;
  Sleeper* sleeper = nullptr;    // null: RealSleeper()
  const Clock* clock = nullptr;  // null: RealClock
  int parallel_blobs = 4;        // blobs moving at once per pull or push
  UploadOptions upload;
};

// Options from the environment: credentials from farm's store then
// Docker's, insecure registries from farm's config.json plus `extra` (what
// the caller adds, e.g. FarmNodeOptions::insecure_registries; no binary has
// an --insecure-registry flag). kInvalidArgument for a malformed config.
absl::StatusOr<RegistryClientOptions> DefaultRegistryClientOptions(
    const std::vector<std::string>& extra_insecure = {});

// What happened to one blob, for progress displays. Called from worker
// threads, possibly at the same time.
struct BlobEvent {
  enum Kind { kStarted, kSkipped, kMounted, kDone };
  Kind kind;
  oci::Descriptor blob;
};
using BlobEventFn = std::function<void(const BlobEvent&)>;

class RegistryClient {
 public:
  explicit RegistryClient(RegistryClientOptions options = {});
  RegistryClient(const RegistryClient&) = delete;
  RegistryClient& operator=(const RegistryClient&) = delete;

  // The session for registry `domain` ("docker.io", "host:5000"), made on
  // first use and kept. Thread-safe.
  RegistrySession& Session(const std::string& domain);

  // Checks `credential` against `domain` without storing it (for `farm
  // login`): kUnauthenticated if the registry refuses it, kUnavailable if
  // it cannot be reached.
  absl::Status CheckLogin(const std::string& domain,
                          const Credential& credential);

  const RegistryClientOptions& options() const { return options_; }
  Sleeper& sleeper() { return *options_.sleeper; }

 private:
  RegistryClientOptions options_;
  absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<RegistrySession>> sessions_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace farm::image::registry

#endif  // FARM_IMAGE_REGISTRY_REGISTRY_CLIENT_H_
