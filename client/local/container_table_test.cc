#include "client/local/container_table.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::client::local {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

constexpr absl::Time kT0 = absl::FromUnixSeconds(1700000000);

class ContainerTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dir = MakeTempDir("container_table");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *dir;
    Reopen();
  }
  void TearDown() override { RemoveAll(dir_).IgnoreError(); }

  void Reopen() {
    absl::StatusOr<std::unique_ptr<ContainerTable>> table =
        ContainerTable::Open(dir_);
    ASSERT_TRUE(table.ok()) << table.status();
    table_ = *std::move(table);
  }

  proto::ContainerRecord MustCreate(const std::string& name, absl::Time now,
                                    const std::string& image_id = "") {
    proto::ContainerConfig config;
    config.set_name(name);
    config.set_image_id(image_id);
    absl::StatusOr<proto::ContainerRecord> record =
        table_->Create(config, false, now);
    EXPECT_TRUE(record.ok()) << record.status();
    return record.ok() ? *record : proto::ContainerRecord();
  }

  std::string dir_;
  std::unique_ptr<ContainerTable> table_;
};

TEST_F(ContainerTableTest, CreateGivesAFreshCreatedRecord) {
  proto::ContainerRecord record = MustCreate("web", kT0);
  EXPECT_THAT(record.id(), MatchesRegex("[0-9a-f]{64}"));
  EXPECT_EQ(record.name(), "web");
  EXPECT_EQ(record.state(), "created");
  EXPECT_THAT(record.runtime_id(), MatchesRegex("run-[0-9a-f]{12}"));
}

TEST_F(ContainerTableTest, CreateWithoutANameGeneratesOne) {
  proto::ContainerRecord record = MustCreate("", kT0);
  EXPECT_THAT(record.name(), MatchesRegex("[a-zA-Z0-9][a-zA-Z0-9_.-]*"));
}

TEST_F(ContainerTableTest, CreateRefusesANameInUse) {
  MustCreate("web", kT0);
  proto::ContainerConfig config;
  config.set_name("web");
  absl::StatusOr<proto::ContainerRecord> again =
      table_->Create(config, false, kT0);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(again.status().message(), HasSubstr("is already in use"));
}

TEST_F(ContainerTableTest, CreateRefusesNamesDockerWouldRefuse) {
  for (const std::string name : {"-bad", "a b"}) {
    proto::ContainerConfig config;
    config.set_name(name);
    EXPECT_EQ(table_->Create(config, false, kT0).status().code(),
              absl::StatusCode::kInvalidArgument)
        << name;
  }
}

TEST_F(ContainerTableTest, FindsByNameFullIdAndUniquePrefix) {
  proto::ContainerRecord web = MustCreate("web", kT0);
  MustCreate("db", kT0);
  for (const std::string& ref :
       {std::string("web"), web.id(), ShortId(web.id())}) {
    absl::StatusOr<proto::ContainerRecord> found = table_->Find(ref);
    ASSERT_TRUE(found.ok()) << ref << ": " << found.status();
    EXPECT_EQ(found->id(), web.id()) << ref;
  }
}

TEST_F(ContainerTableTest, FindReportsAMissingContainer) {
  absl::StatusOr<proto::ContainerRecord> found = table_->Find("nothing");
  EXPECT_EQ(found.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(found.status().message(), HasSubstr("No such container"));
}

TEST_F(ContainerTableTest, FindRefusesAnAmbiguousPrefix) {
  // Seventeen ids cannot all start with different hex digits.
  std::set<char> first_digits;
  std::string prefix;
  for (int i = 0; prefix.empty() && i < 17; ++i) {
    const std::string id = MustCreate(absl::StrCat("c", i), kT0).id();
    if (!first_digits.insert(id[0]).second) prefix = id.substr(0, 1);
  }
  ASSERT_FALSE(prefix.empty());
  EXPECT_EQ(table_->Find(prefix).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ContainerTableTest, ListShowsRunningOnesOrAllNewestFirst) {
  proto::ContainerRecord old = MustCreate("old", kT0);
  proto::ContainerRecord mid = MustCreate("mid", kT0 + absl::Seconds(1));
  proto::ContainerRecord last = MustCreate("new", kT0 + absl::Seconds(2));
  mid.set_state("running");
  ASSERT_TRUE(table_->Update(mid).ok());
  std::vector<proto::ContainerRecord> running = table_->List(false);
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running[0].id(), mid.id());
  std::vector<proto::ContainerRecord> all = table_->List(true);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].id(), last.id());
  EXPECT_EQ(all[1].id(), mid.id());
  EXPECT_EQ(all[2].id(), old.id());
}

TEST_F(ContainerTableTest, RecordsSurviveReopening) {
  proto::ContainerRecord record = MustCreate("web", kT0);
  record.set_state("running");
  ASSERT_TRUE(table_->Update(record).ok());
  Reopen();
  absl::StatusOr<proto::ContainerRecord> found = table_->Find("web");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->id(), record.id());
  EXPECT_EQ(found->state(), "running");
  EXPECT_EQ(found->runtime_id(), record.runtime_id());
}

TEST_F(ContainerTableTest, RemoveForgetsTheRecordAndDeletesItsDirectory) {
  proto::ContainerRecord record = MustCreate("web", kT0);
  ASSERT_TRUE(IsDirectory(JoinPath(dir_, record.id())));
  ASSERT_TRUE(table_->Remove(record.id()).ok());
  EXPECT_FALSE(PathExists(JoinPath(dir_, record.id())));
  EXPECT_EQ(table_->Find("web").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ContainerTableTest, UserOfImageGivesTheShortIdOfAContainerFromIt) {
  proto::ContainerRecord record = MustCreate("web", kT0, "sha256:aaaa");
  EXPECT_EQ(table_->UserOfImage("sha256:aaaa"), record.id().substr(0, 12));
  EXPECT_EQ(table_->UserOfImage("sha256:bbbb"), "");
}

}  // namespace
}  // namespace farm::client::local
