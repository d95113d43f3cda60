// LoginSessions: the browser's side of a token login. POST /api/login
// trades a token for a random session id in an HttpOnly cookie; the
// session keeps the token itself, so that every request is authenticated
// afresh and a token taken out of the token file stops working at once.
// Sessions end after `ttl`, at logout, or when there are too many (oldest
// first). Thread-safe.
#ifndef FARM_DASHBOARD_LOGIN_SESSIONS_H_
#define FARM_DASHBOARD_LOGIN_SESSIONS_H_

#include <map>
#include <optional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace farm::dashboard {

class LoginSessions {
 public:
  explicit LoginSessions(Clock* clock, absl::Duration ttl = absl::Hours(12),
                         size_t max_sessions = 10000)
      : clock_(clock), ttl_(ttl), max_sessions_(max_sessions) {}

  // A new session for `authorization` (the "Bearer ..." value that
  // authenticated); returns its id: 32 random bytes in hex.
  std::string Open(std::string authorization);
  // The authorization of a live session; nullopt for an unknown or expired
  // id.
  std::optional<std::string> Find(const std::string& id);
  void Close(const std::string& id);

 private:
  struct Session {
    std::string authorization;
    absl::Time opened;
  };
  Clock* clock_;
  const absl::Duration ttl_;
  const size_t max_sessions_;
  absl::Mutex mu_;
  std::map<std::string, Session> sessions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace farm::dashboard

#endif  // FARM_DASHBOARD_LOGIN_SESSIONS_H_
