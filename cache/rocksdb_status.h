// Maps rocksdb::Status (and Slice) to absl types at the edge of the RocksDB
// cache, so nothing above it sees RocksDB's types.
#ifndef FARM_CACHE_ROCKSDB_STATUS_H_
#define FARM_CACHE_ROCKSDB_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/slice.h"
#include "rocksdb/status.h"

namespace farm::cache {

// NotFound → kNotFound, Corruption → kDataLoss, out of space →
// kResourceExhausted, Busy/TimedOut/TryAgain → kUnavailable, InvalidArgument
// → kInvalidArgument, the rest → kInternal. `context` leads the message.
absl::Status FromRocksDb(const rocksdb::Status& status,
                         absl::string_view context);

// Debian's Abseil has its own string_view, distinct from std::string_view.
inline absl::string_view ToView(const rocksdb::Slice& slice) {
  return absl::string_view(slice.data(), slice.size());
}

}  // namespace farm::cache

#endif  // FARM_CACHE_ROCKSDB_STATUS_H_
