#include "dashboard/farm_history.h"

#include "gtest/gtest.h"

namespace farm::dashboard {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

proto::ListWorkersResponse Workers(
    std::vector<std::pair<std::string, int>> running) {
  proto::ListWorkersResponse response;
  for (const auto& [id, jobs] : running) {
    proto::WorkerSummary* worker = response.add_workers();
    worker->set_worker_id(id);
    worker->set_running_jobs(jobs);
  }
  return response;
}

cache::CacheStats Cache(uint64_t bytes, uint64_t hits, uint64_t misses) {
  cache::CacheStats stats;
  stats.blob_bytes = bytes;
  stats.action_hits = hits;
  stats.action_misses = misses;
  return stats;
}

TEST(FarmHistoryTest, KeepsTheLastSamplesOfEachWorker) {
  FarmHistory history(/*samples=*/3);
  for (int i = 0; i < 5; ++i) {
    history.Sample(kT0 + absl::Seconds(5 * i), Workers({{"w1", i}}),
                   std::nullopt);
  }
  std::vector<LoadSample> load = history.LoadOf("w1");
  ASSERT_EQ(load.size(), 3u);
  EXPECT_EQ(load[0].running, 2);
  EXPECT_EQ(load[2].running, 4);
  EXPECT_EQ(load[2].t_ms, absl::ToUnixMillis(kT0 + absl::Seconds(20)));
  EXPECT_TRUE(history.LoadOf("w9").empty());
}

TEST(FarmHistoryTest, AWorkerThatLeavesIsLostForAWhile) {
  FarmHistory history(120, absl::Minutes(10));
  history.Sample(kT0, Workers({{"w1", 1}, {"w2", 0}}), std::nullopt);
  history.Sample(kT0 + absl::Seconds(5), Workers({{"w1", 1}}), std::nullopt);
  std::vector<LostWorker> lost = history.Lost();
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].last_seen.worker_id(), "w2");
  EXPECT_EQ(lost[0].lost_at, kT0 + absl::Seconds(5));
  // Back again: no longer lost.
  history.Sample(kT0 + absl::Seconds(10), Workers({{"w1", 1}, {"w2", 0}}),
                 std::nullopt);
  EXPECT_TRUE(history.Lost().empty());
  // Gone for good: forgotten after ten minutes, with its load.
  history.Sample(kT0 + absl::Seconds(15), Workers({{"w1", 1}}), std::nullopt);
  history.Sample(kT0 + absl::Minutes(11), Workers({{"w1", 1}}), std::nullopt);
  EXPECT_TRUE(history.Lost().empty());
  EXPECT_TRUE(history.LoadOf("w2").empty());
}

TEST(FarmHistoryTest, HitRatioIsPerIntervalAndSurvivesACacheRestart) {
  FarmHistory history;
  history.Sample(kT0, {}, Cache(100, 10, 10));
  history.Sample(kT0 + absl::Seconds(5), {}, Cache(150, 13, 11));
  history.Sample(kT0 + absl::Seconds(10), {}, Cache(150, 13, 11));
  history.Sample(kT0 + absl::Seconds(15), {}, Cache(20, 1, 0));  // restarted
  history.Sample(kT0 + absl::Seconds(20), {}, std::nullopt);     // no answer
  std::vector<CacheSample> samples = history.Cache();
  ASSERT_EQ(samples.size(), 4u);
  EXPECT_FALSE(samples[0].hit_ratio.has_value());  // no interval yet
  ASSERT_TRUE(samples[1].hit_ratio.has_value());
  EXPECT_DOUBLE_EQ(*samples[1].hit_ratio, 0.75);
  EXPECT_FALSE(samples[2].hit_ratio.has_value());  // nothing looked up
  ASSERT_TRUE(samples[3].hit_ratio.has_value());
  EXPECT_DOUBLE_EQ(*samples[3].hit_ratio, 1.0);
  EXPECT_EQ(samples[3].blob_bytes, 20);
}

}  // namespace
}  // namespace farm::dashboard
