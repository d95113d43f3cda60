#include "cache/testing/test_bytes.h"

#include <random>

namespace farm::cache::testing {

std::string TestBytes(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

}  // namespace farm::cache::testing
