// The suite every CacheMountPointers implementation passes (the file under
// the scheduler's root now, etcd later). An implementation's test
// instantiates it:
//   INSTANTIATE_TEST_SUITE_P(File, CacheMountPointersConformanceTest,
//                            ::testing::Values(PointersImpl{"File", make}),
//                            PointersImplName);
#ifndef FARM_SCHEDULER_CACHE_MOUNT_POINTERS_CONFORMANCE_H_
#define FARM_SCHEDULER_CACHE_MOUNT_POINTERS_CONFORMANCE_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "scheduler/cache_mount_pointers.h"

namespace farm::scheduler::testing {

struct PointersImpl {
  std::string name;
  // A fresh, empty store.
  std::function<absl::StatusOr<std::unique_ptr<CacheMountPointers>>()> make;
};

inline std::string PointersImplName(
    const ::testing::TestParamInfo<PointersImpl>& info) {
  return info.param.name;
}

class CacheMountPointersConformanceTest
    : public ::testing::TestWithParam<PointersImpl> {
 protected:
  void SetUp() override;
  std::unique_ptr<CacheMountPointers> store_;
};

}  // namespace farm::scheduler::testing

#endif  // FARM_SCHEDULER_CACHE_MOUNT_POINTERS_CONFORMANCE_H_
