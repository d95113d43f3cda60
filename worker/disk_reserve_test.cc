#include "worker/disk_reserve.h"

#include "gtest/gtest.h"
#include "worker/run_limits.h"

namespace farm::worker {
namespace {

TEST(DiskReserveTest, ParsesSharesAndSizes) {
  absl::StatusOr<DiskReserve> share = ParseDiskReserve(kDefaultMinFreeDisk);
  ASSERT_TRUE(share.ok()) << share.status();
  EXPECT_DOUBLE_EQ(share->fraction, 0.05);
  EXPECT_EQ(share->bytes, 0u);
  absl::StatusOr<DiskReserve> size = ParseDiskReserve("10GiB");
  ASSERT_TRUE(size.ok()) << size.status();
  EXPECT_EQ(size->bytes, uint64_t{10} << 30);
  EXPECT_EQ(size->fraction, 0);
  EXPECT_TRUE(ParseDiskReserve("0").ok());
  for (const char* bad : {"", "100%", "-1%", "lots", "5 %%"}) {
    EXPECT_EQ(ParseDiskReserve(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(DiskReserveTest, BelowReserve) {
  DiskSpace space{uint64_t{4} << 30, uint64_t{100} << 30};  // 4% free
  EXPECT_TRUE(BelowReserve(space, *ParseDiskReserve("5%")));
  EXPECT_FALSE(BelowReserve(space, *ParseDiskReserve("3%")));
  EXPECT_TRUE(BelowReserve(space, *ParseDiskReserve("5GiB")));
  EXPECT_FALSE(BelowReserve(space, *ParseDiskReserve("4GiB")));
  EXPECT_FALSE(BelowReserve(space, *ParseDiskReserve("0")));
  EXPECT_EQ(DescribeDiskSpace(space), "4 GiB free of 100 GiB");
}

TEST(DiskReserveTest, StatsTheRootFilesystem) {
  absl::StatusOr<DiskSpace> space = StatDisk("/");
  ASSERT_TRUE(space.ok()) << space.status();
  EXPECT_GT(space->total_bytes, 0u);
  EXPECT_LE(space->free_bytes, space->total_bytes);
  EXPECT_EQ(StatDisk("/no/such/dir").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(RunLimitsTest, RoundTripsAndIgnoresNegatives) {
  executor::ResourceLimits limits;
  limits.memory_bytes = 64 << 20;
  limits.pids = 100;
  limits.cpus = 1.5;
  limits.timeout = absl::Seconds(90);
  limits.disk_bytes = 1 << 30;
  executor::ResourceLimits back = FromProto(ToProto(limits));
  EXPECT_EQ(back.memory_bytes, limits.memory_bytes);
  EXPECT_EQ(back.pids, 100);
  EXPECT_EQ(back.cpus, 1.5);
  EXPECT_EQ(back.timeout, absl::Seconds(90));
  EXPECT_EQ(back.disk_bytes, limits.disk_bytes);
  proto::RunLimits negative;
  negative.set_memory_bytes(-1);
  negative.set_timeout_ms(-5);
  EXPECT_EQ(FromProto(negative).memory_bytes, 0u);
  EXPECT_EQ(FromProto(negative).timeout, absl::ZeroDuration());
}

}  // namespace
}  // namespace farm::worker
