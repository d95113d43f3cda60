// The scheduler's hold on build sessions is bounded: finished sessions go
// by count, bytes and age, oldest first, running ones never; threads of
// ended sessions are joined.
#include <atomic>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "scheduler/session_table.h"
#include "scheduler/session_threads.h"

namespace farm::scheduler {
namespace {

struct FakeSession {
  bool done = false;
  int64_t bytes = 0;
  absl::Time ended;
  std::string owner = "t1";
  bool finished() const { return done; }
  const std::string& tenant() const { return owner; }
  int64_t retained_bytes() const { return bytes; }
  absl::Time finished_at() const { return ended; }
};

const absl::Time kNow = absl::FromUnixSeconds(1'000'000);

std::shared_ptr<FakeSession> Finished(int64_t bytes = 0,
                                      absl::Duration ago = absl::Seconds(1)) {
  auto s = std::make_shared<FakeSession>();
  s->done = true;
  s->bytes = bytes;
  s->ended = kNow - ago;
  return s;
}

std::vector<std::string> Ids(const SessionTable<FakeSession>& table,
                             const std::map<FakeSession*, std::string>& names) {
  std::vector<std::string> out;
  for (const auto& s : table.InOrder()) out.push_back(names.at(s.get()));
  return out;
}

TEST(SessionTableTest, FinishedSessionsGoOldestFirstPastTheCount) {
  SessionLimits limits;
  limits.max_finished = 2;
  SessionTable<FakeSession> table(limits);
  std::map<FakeSession*, std::string> names;
  auto running = std::make_shared<FakeSession>();
  for (const auto& [id, s] :
       std::vector<std::pair<std::string, std::shared_ptr<FakeSession>>>{
           {"running", running},
           {"a", Finished()},
           {"b", Finished()},
           {"c", Finished()}}) {
    table.Add(id, s);
    names[s.get()] = id;
  }
  std::vector<std::shared_ptr<FakeSession>> dropped = table.Prune(kNow);
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(names.at(dropped[0].get()), "a");
  // The oldest is still running: it stays, and does not stop the pruning.
  EXPECT_EQ(Ids(table, names), (std::vector<std::string>{"running", "b", "c"}));
  EXPECT_EQ(table.Find("a"), nullptr);
  EXPECT_EQ(table.Find("running"), running);
}

TEST(SessionTableTest, FinishedSessionsGoPastTheByteBudgetAndTheAge) {
  SessionLimits limits;
  limits.max_bytes = 100;
  limits.max_age = absl::Minutes(10);
  SessionTable<FakeSession> table(limits);
  auto old = Finished(1, absl::Minutes(11));
  auto big = Finished(80);
  auto small = Finished(30);
  auto running = std::make_shared<FakeSession>();
  running->bytes = 1000;  // a running build's log is capped per step instead
  table.Add("old", old);
  table.Add("big", big);
  table.Add("small", small);
  table.Add("running", running);
  std::vector<std::shared_ptr<FakeSession>> dropped = table.Prune(kNow);
  ASSERT_EQ(dropped.size(), 2u);
  EXPECT_EQ(dropped[0], old);
  EXPECT_EQ(dropped[1], big);  // 80 + 30 > 100: the older goes
  EXPECT_EQ(table.size(), 2u);
  EXPECT_TRUE(table.Prune(kNow).empty());
}

TEST(SessionTableTest, RunningSessionsAreCountedPerTenant) {
  SessionTable<FakeSession> table(SessionLimits{});
  auto a = std::make_shared<FakeSession>();
  auto b = std::make_shared<FakeSession>();
  auto other = std::make_shared<FakeSession>();
  other->owner = "t2";
  table.Add("a", a);
  table.Add("b", b);
  table.Add("other", other);
  table.Add("done", Finished());
  EXPECT_EQ(table.Running("t1"), 2);
  EXPECT_EQ(table.Running("t2"), 1);
  b->done = true;
  EXPECT_EQ(table.Running("t1"), 1);
  EXPECT_EQ(table.Running("t3"), 0);
}

TEST(SessionThreadsTest, ThreadsOfEndedSessionsAreJoinedAtTheNextStart) {
  SessionThreads threads;
  std::atomic<int> ran{0};
  for (int i = 0; i < 50; ++i) {
    absl::Notification ended;
    threads.Start([&] {
      ++ran;
      ended.Notify();
    });
    ended.WaitForNotification();
    // The thread may not have marked itself done yet; wait until it has.
    while (threads.size() > 1) threads.Start([] {});
  }
  EXPECT_LE(threads.size(), 2u);
  EXPECT_EQ(ran.load(), 50);
}

TEST(SessionThreadsTest, RunningSessionsKeepTheirThreads) {
  absl::Notification release;
  {
    SessionThreads threads;
    for (int i = 0; i < 3; ++i) {
      threads.Start([&] { release.WaitForNotification(); });
    }
    threads.Start([] {});
    EXPECT_GE(threads.size(), 3u);
    release.Notify();
  }  // the destructor joins them all
}

}  // namespace
}  // namespace farm::scheduler
