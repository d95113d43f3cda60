// LeaderElection and LeaseSession against a real 3-member etcd on loopback.
#include "common/etcd/leader_election.h"

#include <atomic>
#include <memory>
#include <thread>

#include "absl/time/clock.h"
#include "common/etcd/testing/etcd_test.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image/registry/curl_transport.h"

namespace farm::etcd {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kTtl = 2;

// A scheduler-to-be: its own session and election.
struct Candidate {
  std::unique_ptr<LeaseSession> session;
  std::unique_ptr<LeaderElection> election;
  std::atomic<int> lost{0};
};

// Campaign on a thread, for candidates that have to wait.
class BackgroundCampaign {
 public:
  BackgroundCampaign(LeaderElection* e, std::string value) {
    thread_ = std::thread([this, e, value] {
      status_ = e->Campaign(value, absl::Now() + absl::Seconds(15));
      won_at_ = absl::Now();
      done_ = true;
    });
  }
  ~BackgroundCampaign() { Join(); }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  bool done() const { return done_; }
  // After Join().
  const absl::Status& status() const { return status_; }
  absl::Time won_at() const { return won_at_; }

 private:
  std::thread thread_;
  std::atomic<bool> done_{false};
  absl::Status status_;
  absl::Time won_at_;
};

class LeaderElectionTest : public testing::EtcdTest {
 protected:
  void SetUp() override {
    EtcdTest::SetUp();
    prefix_ = TestPrefix("elect");
  }

  std::unique_ptr<Candidate> NewCandidate() {
    auto c = std::make_unique<Candidate>();
    LeaseSessionOptions o;
    o.ttl_seconds = kTtl;
    o.on_lost = [p = c.get()] { ++p->lost; };
    absl::StatusOr<std::unique_ptr<LeaseSession>> s =
        LeaseSession::Start(client_.get(), o);
    EXPECT_TRUE(s.ok()) << s.status();
    if (!s.ok()) return nullptr;
    c->session = std::move(*s);
    LeaderElectionOptions eo;
    eo.poll = absl::Milliseconds(300);
    c->election =
        std::make_unique<LeaderElection>(c->session.get(), prefix_, eo);
    return c;
  }

  std::string LeaderValue() {
    absl::StatusOr<KeyValue> kv = Leader(*client_, prefix_);
    return kv.ok() ? kv->value : std::string(kv.status().message());
  }

  TxnRequest PutJob(const std::string& value) {
    TxnRequest txn;
    txn.success = {Op::Put(prefix_ + "-jobs/1", value)};
    return txn;
  }

  std::string prefix_;
};

TEST_F(LeaderElectionTest, FirstLeadsSecondWaitsAndTakesOverOnResign) {
  EXPECT_EQ(Leader(*client_, prefix_).status().code(),
            absl::StatusCode::kNotFound);
  auto a = NewCandidate();
  auto b = NewCandidate();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(
      a->election->Campaign("a:1", absl::Now() + absl::Seconds(5)).ok());
  EXPECT_TRUE(a->election->IsLeader());
  EXPECT_EQ(LeaderValue(), "a:1");
  // Campaigning again while leading updates the value.
  ASSERT_TRUE(
      a->election->Campaign("a:2", absl::Now() + absl::Seconds(5)).ok());
  EXPECT_EQ(LeaderValue(), "a:2");

  BackgroundCampaign waiting(b->election.get(), "b:1");
  absl::SleepFor(absl::Milliseconds(700));
  EXPECT_FALSE(waiting.done());
  EXPECT_FALSE(b->election->IsLeader());
  EXPECT_EQ(b->election->fence().status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(LeaderValue(), "a:2");

  absl::Time resigned = absl::Now();
  ASSERT_TRUE(a->election->Resign().ok());
  EXPECT_FALSE(a->election->IsLeader());
  waiting.Join();
  ASSERT_TRUE(waiting.status().ok()) << waiting.status();
  EXPECT_LT(waiting.won_at() - resigned, absl::Seconds(1));
  EXPECT_TRUE(b->election->IsLeader());
  EXPECT_EQ(LeaderValue(), "b:1");
  EXPECT_EQ(a->lost + b->lost, 0);
}

TEST_F(LeaderElectionTest, ExpiredLeaseHandsOverAndFencesTheStaleLeader) {
  auto a = NewCandidate();
  auto b = NewCandidate();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->election->Campaign("a", absl::Now() + absl::Seconds(5)).ok());
  absl::StatusOr<Fence> stale = a->election->fence();
  ASSERT_TRUE(stale.ok());
  absl::StatusOr<TxnResponse> w = a->election->FencedTxn(PutJob("by a"));
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_TRUE(w->succeeded);
  BackgroundCampaign waiting(b->election.get(), "b");

  // a hangs: its lease is no longer renewed and runs out within the TTL.
  absl::Time hung = absl::Now();
  a->session->StopKeepAlive();
  waiting.Join();
  ASSERT_TRUE(waiting.status().ok()) << waiting.status();
  EXPECT_LT(waiting.won_at() - hung, absl::Seconds(kTtl) + absl::Seconds(1));
  EXPECT_EQ(LeaderValue(), "b");
  // a's own clock told it no later than etcd did.
  EXPECT_FALSE(a->session->alive());
  EXPECT_FALSE(a->election->IsLeader());

  absl::StatusOr<TxnResponse> late =
      FencedTxn(*client_, *stale, PutJob("by stale a"));
  EXPECT_EQ(late.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(late.status().message(), HasSubstr("leadership lost"));
  w = b->election->FencedTxn(PutJob("by b"));
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_TRUE(w->succeeded);
  EXPECT_EQ(client_->Get(prefix_ + "-jobs/1")->value, "by b");

  // The fence holds but the caller's own compare fails: no error.
  TxnRequest guarded = PutJob("x");
  guarded.compares = {Compare::ValueEquals(prefix_ + "-jobs/1", "other")};
  guarded.failure = {Op::Get(prefix_ + "-jobs/1")};
  w = b->election->FencedTxn(guarded);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_FALSE(w->succeeded);
  ASSERT_EQ(w->ranges.size(), 1u);
  EXPECT_EQ(w->ranges[0][0].value, "by b");
}

TEST_F(LeaderElectionTest, RevokedLeaseHandsOverAtOnceAndIsReported) {
  auto a = NewCandidate();
  auto b = NewCandidate();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->election->Campaign("a", absl::Now() + absl::Seconds(5)).ok());
  BackgroundCampaign waiting(b->election.get(), "b");
  absl::SleepFor(absl::Milliseconds(300));

  absl::Time revoked = absl::Now();
  ASSERT_TRUE(client_->LeaseRevoke(a->session->lease()).ok());
  waiting.Join();
  ASSERT_TRUE(waiting.status().ok()) << waiting.status();
  EXPECT_LT(waiting.won_at() - revoked, absl::Seconds(1));
  EXPECT_EQ(LeaderValue(), "b");
  // The next renewal (every TTL/3) learns that the lease is gone.
  while (a->lost == 0 && absl::Now() - revoked < absl::Seconds(kTtl)) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(a->lost, 1);
  EXPECT_FALSE(a->election->IsLeader());
  EXPECT_EQ(a->election->FencedTxn(PutJob("a")).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(a->election->Campaign("a", absl::Now() + absl::Seconds(1)).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(LeaderElectionTest, CampaignDeadlineWithdrawsTheCandidate) {
  auto a = NewCandidate();
  auto b = NewCandidate();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->election->Campaign("a", absl::Now() + absl::Seconds(5)).ok());
  absl::Time start = absl::Now();
  absl::Status s = b->election->Campaign("b", start + absl::Milliseconds(500));
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(1500));
  absl::StatusOr<RangeResponse> keys = client_->GetPrefix(prefix_ + "/");
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->kvs.size(), 1u);

  // Resign() from another thread ends a waiting Campaign.
  BackgroundCampaign waiting(b->election.get(), "b");
  absl::SleepFor(absl::Milliseconds(200));
  ASSERT_TRUE(b->election->Resign().ok());
  waiting.Join();
  EXPECT_EQ(waiting.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(LeaderValue(), "a");
}

TEST_F(LeaderElectionTest, LeaderSurvivesTheLossOfOneEtcdMember) {
  auto a = NewCandidate();
  auto b = NewCandidate();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->election->Campaign("a", absl::Now() + absl::Seconds(5)).ok());
  BackgroundCampaign waiting(b->election.get(), "b");

  cluster().Kill(0);  // where every client here starts
  absl::SleepFor(absl::Seconds(kTtl) + absl::Milliseconds(500));
  EXPECT_TRUE(a->election->IsLeader());
  EXPECT_FALSE(waiting.done());
  EXPECT_EQ(LeaderValue(), "a");
  absl::StatusOr<TxnResponse> w = a->election->FencedTxn(PutJob("a"));
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_TRUE(w->succeeded);
  EXPECT_EQ(a->lost, 0);
  ASSERT_TRUE(cluster().Restart(0).ok());

  ASSERT_TRUE(a->election->Resign().ok());
  waiting.Join();
  EXPECT_TRUE(waiting.status().ok()) << waiting.status();
  EXPECT_EQ(LeaderValue(), "b");
}

}  // namespace
}  // namespace farm::etcd
