// For tests of cache mounts shared between workers: the scheduler's pointers
// in memory, with the same compare-and-swap rule, one per (grant, id).
#ifndef FARM_WORKER_CACHE_MOUNT_TESTING_H_
#define FARM_WORKER_CACHE_MOUNT_TESTING_H_

#include <map>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "worker/cache_mount_pointer_client.h"

namespace farm::worker::testing {

class FakeCacheMountPointers : public CacheMountPointerClient {
 public:
  absl::StatusOr<Generation> Get(const std::string& grant,
                                 const std::string& id) override {
    absl::MutexLock lock(&mu_);
    ++gets_;
    if (!error_.ok()) return error_;
    return pointers_[{grant, id}];
  }
  absl::Status Advance(const std::string& grant, const std::string& id,
                       const Digest& from, const Generation& to) override {
    absl::MutexLock lock(&mu_);
    ++advances_;
    if (!error_.ok()) return error_;
    Generation& current = pointers_[{grant, id}];
    if (current.digest != from) {
      return absl::AbortedError(
          absl::StrCat("at another generation than ", from.ToString()));
    }
    current = to;
    return absl::OkStatus();
  }

  Generation At(const std::string& grant, const std::string& id) {
    absl::MutexLock lock(&mu_);
    return pointers_[{grant, id}];
  }
  void Set(const std::string& grant, const std::string& id, Generation g) {
    absl::MutexLock lock(&mu_);
    pointers_[{grant, id}] = g;
  }
  // Every call fails with `error` (OK: none do).
  void FailWith(absl::Status error) {
    absl::MutexLock lock(&mu_);
    error_ = std::move(error);
  }
  int gets() {
    absl::MutexLock lock(&mu_);
    return gets_;
  }
  int advances() {
    absl::MutexLock lock(&mu_);
    return advances_;
  }

 private:
  absl::Mutex mu_;
  std::map<std::pair<std::string, std::string>, Generation> pointers_;
  absl::Status error_;
  int gets_ = 0;
  int advances_ = 0;
};

}  // namespace farm::worker::testing

#endif  // FARM_WORKER_CACHE_MOUNT_TESTING_H_
