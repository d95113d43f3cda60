// EtcdBuildJournal against a real 3-member etcd on loopback: what a leader
// records, the next leader finds; a leader whose fence is lost neither
// records nor forgets; secrets, bad ids and damaged values are refused.
#include "scheduler/etcd_build_journal.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/etcd/leader_election.h"
#include "common/etcd/lease_session.h"
#include "common/etcd/testing/etcd_test.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::scheduler {
namespace {

using ::testing::HasSubstr;

// A farm-scheduler as far as etcd sees it.
using Scheduler = etcd::testing::ElectedLeader;

proto::BuildRecord Build(const std::string& id, int64_t resumes = 0) {
  proto::BuildRecord record;
  record.set_build_id(id);
  record.set_tenant("team/a");
  record.mutable_request()->set_dockerfile("FROM scratch\n");
  record.mutable_request()->add_tags("app:1");
  record.set_manifest_digest(
      "sha256:"
      "0000000000000000000000000000000000000000000000000000000000000000");
  record.set_resumes(resumes);
  record.set_started_unix_nanos(1700000000000000000);
  return record;
}

// The ids and resume counts of `records`, as "id/resumes".
std::vector<std::string> Summaries(
    const std::vector<proto::BuildRecord>& records) {
  std::vector<std::string> out;
  for (const proto::BuildRecord& r : records) {
    out.push_back(absl::StrCat(r.build_id(), "/", r.resumes()));
  }
  return out;
}

class EtcdBuildJournalTest : public etcd::testing::EtcdTest {
 protected:
  void SetUp() override {
    EtcdTest::SetUp();
    prefix_ = TestPrefix("farm");
  }

  // A scheduler that has won the election.
  std::unique_ptr<Scheduler> Leader() {
    return ElectLeader(prefix_ + "/scheduler-leader");
  }

  std::unique_ptr<EtcdBuildJournal> Journal(FencedWriter writer) {
    return std::make_unique<EtcdBuildJournal>(client_.get(), prefix_,
                                              std::move(writer));
  }

  // What a new leader would find now, as "id/resumes".
  std::vector<std::string> Stored() {
    absl::StatusOr<std::vector<proto::BuildRecord>> records =
        Journal(nullptr)->Unfinished();
    EXPECT_TRUE(records.ok()) << records.status();
    return records.ok() ? Summaries(*records) : std::vector<std::string>{};
  }

  std::string prefix_;
};

TEST_F(EtcdBuildJournalTest, RecordsAndForgetsBuilds) {
  auto a = Leader();
  ASSERT_TRUE(a);
  auto journal = Journal(a->Writer());
  EXPECT_TRUE(Stored().empty());

  ASSERT_TRUE(journal->Record(Build("b0a1")).ok());
  ASSERT_TRUE(journal->Record(Build("b0b2")).ok());
  absl::StatusOr<std::vector<proto::BuildRecord>> records =
      journal->Unfinished();
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0].SerializeAsString(),
            Build("b0a1").SerializeAsString());
  EXPECT_EQ((*records)[1].build_id(), "b0b2");
  // One key per build, holding the serialized record.
  absl::StatusOr<etcd::KeyValue> kv = client_->Get(prefix_ + "/builds/b0a1");
  ASSERT_TRUE(kv.ok()) << kv.status();
  EXPECT_EQ(kv->value, Build("b0a1").SerializeAsString());

  ASSERT_TRUE(journal->Forget("b0a1").ok());
  EXPECT_EQ(Stored(), std::vector<std::string>{"b0b2/0"});
  // Forgetting a build never recorded (or forgotten already) is fine.
  EXPECT_TRUE(journal->Forget("b0a1").ok());
  EXPECT_TRUE(journal->Forget("bffff").ok());
  EXPECT_EQ(Stored(), std::vector<std::string>{"b0b2/0"});
}

TEST_F(EtcdBuildJournalTest, RecordingAgainReplaces) {
  auto a = Leader();
  ASSERT_TRUE(a);
  auto journal = Journal(a->Writer());
  ASSERT_TRUE(journal->Record(Build("b01")).ok());
  ASSERT_TRUE(journal->Record(Build("b01", 1)).ok());
  EXPECT_EQ(Stored(), std::vector<std::string>{"b01/1"});
}

TEST_F(EtcdBuildJournalTest, SecretValuesAreNeverWritten) {
  auto a = Leader();
  ASSERT_TRUE(a);
  int writes = 0;
  auto journal = Journal([&](etcd::TxnRequest txn) {
    ++writes;
    return a->election->FencedTxn(std::move(txn));
  });
  proto::BuildRecord record = Build("b01");
  (*record.mutable_request()->mutable_secrets())["token"] = "s3cret";
  absl::Status s = journal->Record(record);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(s.message(), HasSubstr("secrets"));
  EXPECT_EQ(writes, 0);
  EXPECT_TRUE(Stored().empty());

  // Having had secrets is what the record says instead.
  record.mutable_request()->clear_secrets();
  record.set_had_secrets(true);
  ASSERT_TRUE(journal->Record(record).ok());
  absl::StatusOr<std::vector<proto::BuildRecord>> records =
      journal->Unfinished();
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 1u);
  EXPECT_TRUE((*records)[0].had_secrets());
}

TEST_F(EtcdBuildJournalTest, WhatIsNotABuildIdIsRefused) {
  auto a = Leader();
  ASSERT_TRUE(a);
  int writes = 0;
  auto journal = Journal([&](etcd::TxnRequest txn) {
    ++writes;
    return a->election->FencedTxn(std::move(txn));
  });
  const std::vector<std::string> ids = {"",
                                        "b",
                                        "B01",
                                        "x01",
                                        "b01/../../images/x",
                                        "b0g",
                                        "b01\n",
                                        "b" + std::string(64, '0')};
  for (const std::string& id : ids) {
    absl::Status recorded = journal->Record(Build(id));
    EXPECT_EQ(recorded.code(), absl::StatusCode::kInvalidArgument) << id;
    EXPECT_THAT(recorded.message(), HasSubstr("is not a build id")) << id;
    absl::Status forgotten = journal->Forget(id);
    EXPECT_EQ(forgotten.code(), absl::StatusCode::kInvalidArgument) << id;
  }
  EXPECT_EQ(writes, 0);
  EXPECT_TRUE(Stored().empty());
}

TEST_F(EtcdBuildJournalTest, ALeaderWhoseLeaseIsGoneChangesNothing) {
  auto a = Leader();
  ASSERT_TRUE(a);
  auto journal = Journal(a->Writer());
  ASSERT_TRUE(journal->Record(Build("b01")).ok());
  // etcd drops the lease and the election key; `a` has not noticed yet, so
  // the fence compare in etcd is what refuses the writes.
  ASSERT_TRUE(client_->LeaseRevoke(a->session->lease()).ok());
  absl::Status recorded = journal->Record(Build("b02"));
  EXPECT_EQ(recorded.code(), absl::StatusCode::kFailedPrecondition) << recorded;
  EXPECT_THAT(recorded.message(), HasSubstr("journal of build b02"));
  absl::Status forgotten = journal->Forget("b01");
  EXPECT_EQ(forgotten.code(), absl::StatusCode::kFailedPrecondition)
      << forgotten;
  EXPECT_EQ(Stored(), std::vector<std::string>{"b01/0"});
}

TEST_F(EtcdBuildJournalTest, ALeaderThatResignedChangesNothing) {
  auto a = Leader();
  ASSERT_TRUE(a);
  auto journal = Journal(a->Writer());
  ASSERT_TRUE(journal->Record(Build("b01")).ok());
  ASSERT_TRUE(a->election->Resign().ok());
  EXPECT_EQ(journal->Record(Build("b01", 1)).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(journal->Record(Build("b02")).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(journal->Forget("b01").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Stored(), std::vector<std::string>{"b01/0"});
}

TEST_F(EtcdBuildJournalTest, TheNextLeaderFindsWhatTheLastOneRecorded) {
  auto a = Leader();
  ASSERT_TRUE(a);
  auto old_journal = Journal(a->Writer());
  ASSERT_TRUE(old_journal->Record(Build("b01")).ok());
  ASSERT_TRUE(old_journal->Record(Build("b02", 2)).ok());
  ASSERT_TRUE(a->election->Resign().ok());

  auto b = Leader();
  ASSERT_TRUE(b);
  auto journal = Journal(b->Writer());
  absl::StatusOr<std::vector<proto::BuildRecord>> records =
      journal->Unfinished();
  ASSERT_TRUE(records.ok()) << records.status();
  EXPECT_EQ(Summaries(*records), (std::vector<std::string>{"b01/0", "b02/2"}));
  EXPECT_EQ((*records)[0].tenant(), "team/a");

  // The new leader takes one over and finishes the other; the old one can
  // do neither.
  ASSERT_TRUE(journal->Record(Build("b01", 1)).ok());
  ASSERT_TRUE(journal->Forget("b02").ok());
  EXPECT_EQ(old_journal->Forget("b01").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Stored(), std::vector<std::string>{"b01/1"});
}

TEST_F(EtcdBuildJournalTest, AValueThatIsNotItsBuildsRecordIsDataLoss) {
  auto a = Leader();
  ASSERT_TRUE(a);
  ASSERT_TRUE(Journal(a->Writer())->Record(Build("b01")).ok());
  const std::string dir = prefix_ + "/builds/";
  // Not a proto; an empty record; another build's record.
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"b02", "garbage"},
      {"b03", ""},
      {"bb01", Build("b01").SerializeAsString()},
  };
  for (const auto& [id, value] : bad) {
    ASSERT_TRUE(client_->Put(dir + id, value).ok());
    absl::StatusOr<std::vector<proto::BuildRecord>> records =
        Journal(nullptr)->Unfinished();
    EXPECT_EQ(records.status().code(), absl::StatusCode::kDataLoss) << id;
    EXPECT_THAT(records.status().message(), HasSubstr(dir + id)) << id;
    ASSERT_TRUE(client_->Delete(dir + id).ok());
  }
  EXPECT_EQ(Stored(), std::vector<std::string>{"b01/0"});
}

}  // namespace
}  // namespace farm::scheduler
