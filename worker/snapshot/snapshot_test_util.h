// Test support for the snapshot store: layer blobs built from a list of tar
// members and stored in a BlobStore, and a BlobStore decorator that counts
// (and may slow down) reads.
#ifndef FARM_WORKER_SNAPSHOT_SNAPSHOT_TEST_UTIL_H_
#define FARM_WORKER_SNAPSHOT_SNAPSHOT_TEST_UTIL_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cache/forwarding_blob_store.h"
#include "image/tar/tar_entry.h"
#include "proto/cache.pb.h"

namespace farm::snapshot::testing {

struct Member {
  std::string name;
  image::tar::TarType type = image::tar::TarType::kRegular;
  std::string data;  // file content, or link target
  uint32_t mode = 0644;
};

Member File(std::string name, std::string data, uint32_t mode = 0644);
Member Dir(std::string name, uint32_t mode = 0755);
Member Symlink(std::string name, std::string target);
// A `.wh.` whiteout or the opaque marker, by full member name.
Member Marker(std::string name);

// The uncompressed tar of `members` (mtime 1234567890, owners 0:0).
std::string MakeTar(const std::vector<Member>& members);

// Gzips `tar`, stores it in `store` and returns its LayerRef.
proto::LayerRef PutLayer(cache::BlobStore& store, const std::string& tar);

// Counts Get calls per digest and sleeps `delay` in each, so concurrent
// callers overlap.
class CountingBlobStore : public cache::ForwardingBlobStore {
 public:
  CountingBlobStore(cache::BlobStore* inner, absl::Duration delay)
      : ForwardingBlobStore(inner), delay_(delay) {}

  int Gets(const std::string& digest) const;
  int TotalGets() const;

  absl::StatusOr<std::unique_ptr<ByteReader>> Get(
      const Digest& digest) override;

 private:
  absl::Duration delay_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, int> gets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace farm::snapshot::testing

#endif  // FARM_WORKER_SNAPSHOT_SNAPSHOT_TEST_UTIL_H_
