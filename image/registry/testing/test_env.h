// Small helpers shared by the registry's integration tests and benchmark:
// running skopeo against a loopback registry, and a Sleeper that records
// instead of sleeping.
#ifndef FARM_IMAGE_REGISTRY_TESTING_TEST_ENV_H_
#define FARM_IMAGE_REGISTRY_TESTING_TEST_ENV_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "image/registry/retry.h"
#include "image/registry/testing/local_registry.h"

namespace farm::image::registry::testing {

// Runs `skopeo --insecure-policy ARGS...` (TLS checks off for docker://
// is up to the caller's flags); kInternal with skopeo's stderr on failure,
// else its stdout.
absl::StatusOr<std::string> Skopeo(const std::vector<std::string>& args);

class RecordingSleeper : public Sleeper {
 public:
  void Sleep(absl::Duration d) override {
    absl::MutexLock lock(&mu_);
    slept_.push_back(d);
  }
  std::vector<absl::Duration> slept() const {
    absl::MutexLock lock(&mu_);
    return slept_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<absl::Duration> slept_;
};

}  // namespace farm::image::registry::testing

#endif  // FARM_IMAGE_REGISTRY_TESTING_TEST_ENV_H_
