#include "worker/executor/network/sandbox_pool.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace farm::executor::network {

SandboxPool::SandboxPool(NetworkSandbox::Options options, int spares)
    : options_(std::move(options)), spares_(spares) {
  thread_ = std::thread([this] { Loop(); });
}

SandboxPool::~SandboxPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

absl::StatusOr<std::unique_ptr<NetworkSandbox>> SandboxPool::OpenOne() {
  std::string name;
  {
    absl::MutexLock lock(&mu_);
    name = absl::StrCat("pool-", getpid(), "-", next_name_++);
  }
  return NetworkSandbox::Open(options_, name);
}

absl::StatusOr<std::unique_ptr<NetworkSandbox>> SandboxPool::Take() {
  {
    absl::MutexLock lock(&mu_);
    if (!ready_.empty()) {
      std::unique_ptr<NetworkSandbox> sandbox = std::move(ready_.front());
      ready_.pop_front();
      return sandbox;
    }
  }
  absl::StatusOr<std::unique_ptr<NetworkSandbox>> opened = OpenOne();
  if (opened.ok()) {
    absl::MutexLock lock(&mu_);
    failing_ = false;  // try ahead again
  }
  return opened;
}

void SandboxPool::Release(std::unique_ptr<NetworkSandbox> sandbox) {
  if (sandbox == nullptr) return;
  sandbox->Stop();           // the network goes down now
  if (spares_ == 0) return;  // and, with no pool to speak of, the files too
  absl::MutexLock lock(&mu_);
  closing_.push_back(std::move(sandbox));  // the files in the background
}

void SandboxPool::Loop() {
  while (true) {
    std::vector<std::unique_ptr<NetworkSandbox>> closing;
    bool open_one = false;
    {
      absl::MutexLock lock(&mu_);
      auto work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !closing_.empty() ||
               (!failing_ && static_cast<int>(ready_.size()) < spares_);
      };
      mu_.Await(absl::Condition(&work));
      closing.swap(closing_);
      if (stopping_) {
        for (auto& sandbox : ready_) closing.push_back(std::move(sandbox));
        ready_.clear();
      } else {
        open_one = !failing_ && static_cast<int>(ready_.size()) < spares_;
      }
    }
    closing.clear();  // each destructor closes its namespace, removes files
    if (open_one) {
      absl::StatusOr<std::unique_ptr<NetworkSandbox>> opened = OpenOne();
      absl::MutexLock lock(&mu_);
      if (opened.ok()) {
        ready_.push_back(*std::move(opened));
      } else {
        FARM_LOG(WARNING) << "opening a spare network sandbox: "
                          << opened.status();
        failing_ = true;
      }
      continue;
    }
    absl::MutexLock lock(&mu_);
    if (stopping_ && closing_.empty()) return;
  }
}

}  // namespace farm::executor::network
