// RandomBytes: reproducible incompressible test data, for tests and
// benchmarks that need bytes gzip cannot shrink and that are the same in
// every run.
#ifndef FARM_COMMON_RANDOM_BYTES_H_
#define FARM_COMMON_RANDOM_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace farm {

// `size` bytes from a Mersenne Twister (mt19937_64) seeded with `seed`.
std::string RandomBytes(size_t size, uint64_t seed);

}  // namespace farm

#endif  // FARM_COMMON_RANDOM_BYTES_H_
