#include "dashboard/event_streams.h"

#include <thread>

#include "absl/strings/match.h"
#include "dashboard/testing/fake_farm.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::dashboard {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Json Row(const std::string& id, const std::string& state) {
  return {{"id", id}, {"state", state}};
}

TEST(BuildsFeedTest, SendsEverythingFirstThenOnlyChanges) {
  BuildsFeed feed;
  Json first = feed.Next(Json::array({Row("b1", "running")}));
  EXPECT_EQ(first["reset"], true);
  EXPECT_EQ(first["changed"].size(), 1u);
  EXPECT_TRUE(feed.Next(Json::array({Row("b1", "running")})).is_null());
  Json change =
      feed.Next(Json::array({Row("b2", "running"), Row("b1", "succeeded")}));
  EXPECT_EQ(change["reset"], false);
  EXPECT_EQ(change["changed"].size(), 2u);
  Json gone = feed.Next(Json::array({Row("b2", "running")}));
  EXPECT_EQ(gone["changed"].size(), 0u);
  EXPECT_EQ(gone["removed"], Json::array({"b1"}));
}

class EventStreamsTest : public ::testing::Test {
 protected:
  EventStreamsTest()
      : streams_(DashboardDeps{&farm_, &history_, nullptr, nullptr,
                               RealClock::Get()},
                 &stopping_,
                 StreamTimings{absl::Milliseconds(20), absl::Seconds(60),
                               absl::Seconds(60)}) {}

  testing::FakeFarm farm_;
  FarmHistory history_;
  absl::Notification stopping_;
  EventStreams streams_;
};

proto::BuildEvent Log(const std::string& text) {
  proto::BuildEvent event;
  event.set_kind(proto::BuildEvent::STEP_LOG);
  event.set_text(text);
  return event;
}

TEST_F(EventStreamsTest, ABuildStreamRelaysLiveEventsAndEnds) {
  std::shared_ptr<testing::FakeBuild> build = farm_.AddBuild("b1", "t");
  build->AddEvent(Log("one\n"));
  build->AddEvent(Log("two\n"));
  std::thread later([&] {
    absl::SleepFor(absl::Milliseconds(100));
    build->AddEvent(Log("three\n"));
    absl::SleepFor(absl::Milliseconds(100));
    build->Finish("succeeded");
  });
  std::string out;
  streams_.Build(*build, /*after=*/1, [&](absl::string_view bytes) {
    out.append(bytes.data(), bytes.size());
    return true;
  });
  later.join();
  EXPECT_THAT(out, Not(HasSubstr("one")));  // at or before `after`
  EXPECT_THAT(out, HasSubstr("id: 2\nevent: build-event\ndata: {"));
  EXPECT_THAT(out, HasSubstr("three"));
  EXPECT_TRUE(absl::StrContains(out, "event: build-end"));
  EXPECT_LT(out.find("three"), out.find("build-end"));
}

TEST_F(EventStreamsTest, ABuildStreamStopsWhenTheBrowserGoes) {
  std::shared_ptr<testing::FakeBuild> build = farm_.AddBuild("b1", "t");
  build->AddEvent(Log("one\n"));
  int writes = 0;
  streams_.Build(*build, 0, [&](absl::string_view) {
    ++writes;
    return false;
  });
  EXPECT_EQ(writes, 1);
}

TEST_F(EventStreamsTest, TheFeedShowsATenantOnlyItsBuilds) {
  farm_.AddBuild("mine", "team-a");
  farm_.AddBuild("theirs", "team-b");
  auth::Identity caller{"team-a", auth::Role::kClient, "test"};
  std::string out;
  int writes = 0;
  streams_.Feed(caller, [&](absl::string_view bytes) {
    out.append(bytes.data(), bytes.size());
    if (++writes == 2) stopping_.Notify();
    if (writes == 1) farm_.AddBuild("mine-2", "team-a");
    return true;
  });
  EXPECT_THAT(out, HasSubstr("event: builds"));
  EXPECT_THAT(out, HasSubstr("event: workers"));
  EXPECT_THAT(out, HasSubstr("\"mine\""));
  EXPECT_THAT(out, HasSubstr("\"mine-2\""));
  EXPECT_THAT(out, Not(HasSubstr("theirs")));
}

}  // namespace
}  // namespace farm::dashboard
