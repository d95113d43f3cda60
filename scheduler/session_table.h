// SessionTable: the build sessions a scheduler holds. Running sessions are
// always kept; finished ones stay for `farm builds` and late re-attaches
// while they fit a count, a byte budget (their outboxes: events, logs,
// results) and an age, and go oldest first. Pure bookkeeping, not
// thread-safe: BuildService holds it under its lock and tests drive it
// with fake sessions and a fake clock.
//
// `Session` needs: bool finished(), int64_t retained_bytes(),
// absl::Time finished_at() (meaningful once finished) and tenant().
#ifndef FARM_SCHEDULER_SESSION_TABLE_H_
#define FARM_SCHEDULER_SESSION_TABLE_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace farm::scheduler {

struct SessionLimits {
  // Builds one tenant may run at once; 0: no limit.
  int max_running_per_tenant = 0;
  size_t max_finished = 200;
  int64_t max_bytes = int64_t{256} << 20;
  absl::Duration max_age = absl::Hours(1);
};

template <typename Session>
class SessionTable {
 public:
  explicit SessionTable(SessionLimits limits) : limits_(limits) {}

  void Add(const std::string& id, std::shared_ptr<Session> session) {
    sessions_[id] = std::move(session);
    order_.push_back(id);
  }

  std::shared_ptr<Session> Find(const std::string& id) const {
    auto it = sessions_.find(id);
    return it == sessions_.end() ? nullptr : it->second;
  }

  // Oldest first.
  std::vector<std::shared_ptr<Session>> InOrder() const {
    std::vector<std::shared_ptr<Session>> out;
    for (const std::string& id : order_) out.push_back(sessions_.at(id));
    return out;
  }

  size_t size() const { return sessions_.size(); }

  // Sessions of `tenant` still running.
  int Running(const std::string& tenant) const {
    int n = 0;
    for (const auto& [id, session] : sessions_) {
      n += !session->finished() && session->tenant() == tenant;
    }
    return n;
  }
  const SessionLimits& limits() const { return limits_; }

  // Drops finished sessions, oldest first, until the finished ones fit the
  // limits at `now`; returns them, for their owner to let go of outside
  // any lock.
  std::vector<std::shared_ptr<Session>> Prune(absl::Time now) {
    size_t finished = 0;
    int64_t bytes = 0;
    for (const auto& [id, session] : sessions_) {
      if (!session->finished()) continue;
      ++finished;
      bytes += session->retained_bytes();
    }
    std::vector<std::shared_ptr<Session>> dropped;
    std::deque<std::string> kept;
    for (const std::string& id : order_) {
      const std::shared_ptr<Session>& session = sessions_.at(id);
      bool over = finished > limits_.max_finished ||
                  bytes > limits_.max_bytes ||
                  now - session->finished_at() > limits_.max_age;
      if (!session->finished() || !over) {
        kept.push_back(id);
        continue;
      }
      --finished;
      bytes -= session->retained_bytes();
      dropped.push_back(session);
      sessions_.erase(id);
    }
    order_.swap(kept);
    return dropped;
  }

 private:
  SessionLimits limits_;
  std::map<std::string, std::shared_ptr<Session>> sessions_;
  std::deque<std::string> order_;
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_SESSION_TABLE_H_
