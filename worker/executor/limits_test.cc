#include "worker/executor/limits.h"

#include "gtest/gtest.h"

namespace farm::executor {
namespace {

TEST(LimitsTest, ParsesSizesWithBinarySuffixes) {
  struct Case {
    const char* text;
    uint64_t bytes;
  } cases[] = {
      {"0", 0},
      {"1073741824", uint64_t{1} << 30},
      {"4GiB", uint64_t{4} << 30},
      {"4g", uint64_t{4} << 30},
      {"4 GB", uint64_t{4} << 30},
      {"512MiB", uint64_t{512} << 20},
      {"512m", uint64_t{512} << 20},
      {"64k", 64 << 10},
      {"64KiB", 64 << 10},
      {"100b", 100},
      {"1.5G", uint64_t{3} << 29},
      {"2TiB", uint64_t{2} << 40},
  };
  for (const Case& c : cases) {
    absl::StatusOr<uint64_t> bytes = ParseBytes(c.text);
    ASSERT_TRUE(bytes.ok()) << c.text << ": " << bytes.status();
    EXPECT_EQ(*bytes, c.bytes) << c.text;
  }
  for (const char* bad : {"", "GiB", "-1", "4 parsecs", "1e3", "4GiBs",
                          "99999999999999999999", "20000000T"}) {
    absl::StatusOr<uint64_t> bytes = ParseBytes(bad);
    EXPECT_EQ(bytes.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(ParseBytes("4 parsecs").status().message(),
            "\"4 parsecs\" is not a size (e.g. 4GiB, 512MiB, 1073741824)");
}

TEST(LimitsTest, FormatsSizesInTheLargestUnit) {
  EXPECT_EQ(FormatBytes(uint64_t{4} << 30), "4 GiB");
  EXPECT_EQ(FormatBytes(uint64_t{20} << 30), "20 GiB");
  EXPECT_EQ(FormatBytes(uint64_t{512} << 20), "512 MiB");
  EXPECT_EQ(FormatBytes(uint64_t{3} << 29), "1.5 GiB");
  EXPECT_EQ(FormatBytes(uint64_t{1} << 40), "1 TiB");
  EXPECT_EQ(FormatBytes(1023), "1023 B");
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(1500000), "1.4 MiB");
}

TEST(LimitsTest, ParsesTimeouts) {
  EXPECT_EQ(*ParseTimeout("90s"), absl::Seconds(90));
  EXPECT_EQ(*ParseTimeout("2h"), absl::Hours(2));
  EXPECT_EQ(*ParseTimeout("1h30m"), absl::Minutes(90));
  EXPECT_EQ(*ParseTimeout("500ms"), absl::Milliseconds(500));
  EXPECT_EQ(*ParseTimeout("45"), absl::Seconds(45));
  EXPECT_EQ(*ParseTimeout("0"), absl::ZeroDuration());
  for (const char* bad : {"", "-5s", "soon", "inf", "2 hours"}) {
    EXPECT_EQ(ParseTimeout(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_EQ(FormatTimeout(absl::Hours(2)), "2h");
  EXPECT_EQ(FormatTimeout(absl::Seconds(90)), "1m30s");
}

TEST(LimitsTest, ParsesCpus) {
  EXPECT_EQ(*ParseCpus("2"), 2);
  EXPECT_EQ(*ParseCpus("1.5"), 1.5);
  EXPECT_EQ(*ParseCpus("0"), 0);
  for (const char* bad : {"", "-1", "all", "nan", "inf"}) {
    EXPECT_FALSE(ParseCpus(bad).ok()) << bad;
  }
}

TEST(LimitsTest, DefaultsAreTheDocumentedOnes) {
  ResourceLimits limits = DefaultRunLimits();
  EXPECT_EQ(DescribeLimits(limits),
            "memory 4 GiB, pids 4096, cpus all, time 2h, disk 20 GiB");
  EXPECT_EQ(DescribeLimits(ResourceLimits()),
            "memory none, pids none, cpus all, time none, disk none");
}

TEST(LimitsTest, ABuildLowersButNeverRaisesTheWorkersLimits) {
  ResourceLimits worker = DefaultRunLimits();
  ResourceLimits build;
  build.memory_bytes = uint64_t{512} << 20;  // lower: taken
  build.pids = 100000;                       // higher: ignored
  build.cpus = 1.5;                          // the worker has none: taken
  build.timeout = absl::Hours(5);            // higher: ignored
  build.disk_bytes = 0;                      // unset: the worker's
  ResourceLimits tight = TightestLimits(worker, build);
  EXPECT_EQ(tight.memory_bytes, uint64_t{512} << 20);
  EXPECT_EQ(tight.pids, 4096);
  EXPECT_EQ(tight.cpus, 1.5);
  EXPECT_EQ(tight.timeout, absl::Hours(2));
  EXPECT_EQ(tight.disk_bytes, kDefaultRunDisk);
  // A worker without limits takes the build's.
  ResourceLimits none;
  EXPECT_EQ(TightestLimits(none, build).pids, 100000);
  EXPECT_EQ(TightestLimits(none, none).memory_bytes, 0u);
}

TEST(LimitsTest, MessagesSayWhichLimit) {
  EXPECT_EQ(MemoryLimitReached(uint64_t{4} << 30),
            "memory limit 4 GiB reached");
  EXPECT_EQ(PidsLimitReached(4096), "pids limit 4096 reached");
  EXPECT_EQ(TimeLimitReached(absl::Hours(2)), "time limit 2h reached");
  EXPECT_EQ(DiskBudgetReached(uint64_t{20} << 30),
            "disk budget 20 GiB reached");
}

}  // namespace
}  // namespace farm::executor
