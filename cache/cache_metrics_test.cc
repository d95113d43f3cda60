// A cache's series, scraped as Prometheus would, over a real MemoryCache.
#include "cache/cache_metrics.h"

#include "cache/memory_cache.h"
#include "gtest/gtest.h"
#include "metrics/testing/scrape.h"

namespace farm::cache {
namespace {

using metrics::testing::Sample;
using metrics::testing::Scrape;

TEST(CacheMetricsTest, ReadsTheCacheAtScrapeTime) {
  MemoryCache cache(/*max_bytes=*/10);
  CacheMetrics metrics(&cache);
  std::string text = Scrape(metrics);
  EXPECT_EQ(Sample(text, "farm_cache_bytes"), 0);
  EXPECT_EQ(Sample(text, "farm_cache_max_bytes"), 10);
  EXPECT_EQ(Sample(text, "farm_action_cache_hits_total"), 0);

  ASSERT_TRUE(PutBlob(*cache.blobs(), "hello").ok());
  ASSERT_TRUE(PutBlob(*cache.blobs(), "world!").ok());  // evicts "hello"
  EXPECT_FALSE(GetBlob(*cache.blobs(), Digest::Of("hello")).ok());
  ASSERT_TRUE(GetBlob(*cache.blobs(), Digest::Of("world!")).ok());
  proto::ActionResult result;
  result.set_empty_layer(true);
  ASSERT_TRUE(cache.actions()->Update(Digest::Of("key"), result).ok());
  ASSERT_TRUE(cache.actions()->Get(Digest::Of("key")).ok());
  ASSERT_TRUE(cache.actions()->Get(Digest::Of("key")).ok());
  EXPECT_FALSE(cache.actions()->Get(Digest::Of("other")).ok());

  text = Scrape(metrics);
  EXPECT_EQ(Sample(text, "farm_cache_bytes"), 6);
  EXPECT_EQ(Sample(text, "farm_cache_blobs"), 1);
  EXPECT_EQ(Sample(text, "farm_cache_evictions_total"), 1);
  EXPECT_EQ(Sample(text, "farm_cache_evicted_bytes_total"), 5);
  EXPECT_EQ(Sample(text, "farm_cache_blob_hits_total"), 1);
  EXPECT_EQ(Sample(text, "farm_cache_blob_misses_total"), 1);
  EXPECT_EQ(Sample(text, "farm_cache_written_bytes_total"), 11);
  EXPECT_EQ(Sample(text, "farm_cache_read_bytes_total"), 6);
  EXPECT_EQ(Sample(text, "farm_action_cache_entries"), 1);
  EXPECT_EQ(Sample(text, "farm_action_cache_hits_total"), 2);
  EXPECT_EQ(Sample(text, "farm_action_cache_misses_total"), 1);
  EXPECT_NE(text.find("# TYPE farm_action_cache_hits_total counter"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE farm_cache_bytes gauge"), std::string::npos);
}

// A CacheAdmin whose Stats() fails (a farm-cache that is down).
class FailingAdmin : public MemoryCache {
 public:
  absl::StatusOr<CacheStats> Stats() override {
    return absl::UnavailableError("farm-cache is down");
  }
};

TEST(CacheMetricsTest, NoSeriesWhenTheStatsFail) {
  FailingAdmin admin;
  EXPECT_EQ(Scrape(CacheMetrics(&admin)), "");
}

}  // namespace
}  // namespace farm::cache
