// PrefetchingReader: reads a stream ahead of its caller on a thread of its
// own, so that a slow source (a file that is not in the page cache) and a
// slow consumer (the sha256 that verifies every blob read) overlap instead of
// taking turns. For big blob files: the CAS writes them past the page cache
// (common/direct_file_writer.h), so a read soon after comes from the disk.
#ifndef FARM_COMMON_PREFETCHING_READER_H_
#define FARM_COMMON_PREFETCHING_READER_H_

#include <cstddef>
#include <memory>

#include "common/io.h"

namespace farm {

// Reads `inner` in chunks of `chunk` bytes, at most `depth` chunks ahead of
// the caller. The inner reader's error is returned after the bytes read
// before it, as the inner reader would. Destroying the reader stops the
// thread once its read in progress returns. Not thread-safe: one caller.
std::unique_ptr<ByteReader> NewPrefetchingReader(
    std::unique_ptr<ByteReader> inner, size_t chunk = size_t{4} << 20,
    int depth = 2);

}  // namespace farm

#endif  // FARM_COMMON_PREFETCHING_READER_H_
