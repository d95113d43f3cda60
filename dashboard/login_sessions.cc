#include "dashboard/login_sessions.h"

#include <openssl/rand.h>

#include <cstdlib>

#include "absl/strings/escaping.h"

namespace farm::dashboard {

namespace {

std::string NewSessionId() {
  unsigned char random[32];
  // OpenSSL's generator fails only when it cannot seed; never hand out a
  // guessable session.
  if (RAND_bytes(random, sizeof(random)) != 1) abort();
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(random), sizeof(random)));
}

}  // namespace

std::string LoginSessions::Open(std::string authorization) {
  std::string id = NewSessionId();
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = now - it->second.opened > ttl_ ? sessions_.erase(it) : std::next(it);
  }
  while (sessions_.size() >= max_sessions_) {
    auto oldest = sessions_.begin();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      if (it->second.opened < oldest->second.opened) oldest = it;
    }
    sessions_.erase(oldest);
  }
  sessions_[id] = {std::move(authorization), now};
  return id;
}

std::optional<std::string> LoginSessions::Find(const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  if (clock_->Now() - it->second.opened > ttl_) {
    sessions_.erase(it);
    return std::nullopt;
  }
  return it->second.authorization;
}

void LoginSessions::Close(const std::string& id) {
  absl::MutexLock lock(&mu_);
  sessions_.erase(id);
}

}  // namespace farm::dashboard
