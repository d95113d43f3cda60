// Deterministic pseudo-random blob contents for the cache's tests.
#ifndef FARM_CACHE_TESTING_TEST_BYTES_H_
#define FARM_CACHE_TESTING_TEST_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace farm::cache::testing {

// `size` bytes, different for each seed.
std::string TestBytes(size_t size, uint32_t seed);

}  // namespace farm::cache::testing

#endif  // FARM_CACHE_TESTING_TEST_BYTES_H_
