// The test binary tunes itself as farm's binaries do, then checks that it
// was started again with the tunables and that its children will not be.
#include "common/malloc_tuning.h"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "gtest/gtest.h"

namespace farm {
namespace {

// The environment this process was started with (execve's), which later
// setenv and unsetenv calls do not change.
std::string StartEnvironment() {
  std::ifstream in("/proc/self/environ", std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(MallocTuningTest, TheProcessStartedAgainWithTheTunables) {
  // (glibc splits the value at its colons in place as it reads it.)
  EXPECT_NE(StartEnvironment().find("GLIBC_TUNABLES=glibc.malloc.hugetlb=1"),
            std::string::npos);
}

TEST(MallocTuningTest, ChildrenGetTheEnvironmentAsItWas) {
  EXPECT_EQ(getenv("GLIBC_TUNABLES"), nullptr);
  EXPECT_EQ(getenv("FARM_MALLOC_TUNED"), nullptr);
}

}  // namespace
}  // namespace farm

int main(int argc, char** argv) {
  farm::TuneMallocOrReexec(argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
