// The test binary tunes itself as farm's binaries do, then reads the kernel's
// view of its heap.
#include "common/malloc_tuning.h"

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace farm {
namespace {

bool tuned = false;

// The VmFlags line, in /proc/self/smaps, of the mapping that holds `p`.
std::string FlagsOfMappingHolding(const void* p) {
  const auto address = reinterpret_cast<uintptr_t>(p);
  std::ifstream in("/proc/self/smaps");
  std::string line;
  bool holds = false;
  while (std::getline(in, line)) {
    uintptr_t begin = 0, end = 0;
    if (sscanf(line.c_str(), "%" SCNxPTR "-%" SCNxPTR " ", &begin, &end) ==
            2 &&
        line.find(':') > line.find(' ')) {
      holds = begin <= address && address < end;
    } else if (holds && line.rfind("VmFlags:", 0) == 0) {
      return line;
    }
  }
  return "";
}

TEST(MallocTuningTest, TheHeapIsAdvisedOntoHugePages) {
  ASSERT_TRUE(tuned);
  std::vector<char> block(1 << 20, 1);
  const std::string flags = FlagsOfMappingHolding(block.data());
  EXPECT_NE(flags.find(" hg"), std::string::npos) << flags;
}

TEST(MallocTuningTest, ThreadsAllocateFromTheAdvisedHeap) {
  // A block too big for the old default mmap threshold but under ours.
  std::vector<char> block(8 << 20, 1);
  const void* heap_end = sbrk(0);
  EXPECT_LT(static_cast<const void*>(block.data()), heap_end);
}

TEST(MallocTuningTest, OffWhenTheUserSaysSo) {
  setenv("FARM_MALLOC_TUNING", "off", 1);
  EXPECT_FALSE(TuneMallocForFewerPageFaults(kCommandTopPad));
  unsetenv("FARM_MALLOC_TUNING");
}

}  // namespace
}  // namespace farm

int main(int argc, char** argv) {
  farm::tuned = farm::TuneMallocForFewerPageFaults(farm::kCommandTopPad);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
