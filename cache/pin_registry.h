// PinRegistry: the blobs each owner (a scheduler's image store) asks a
// cache to keep, by owner, kept on disk so a restarted cache still honours
// them. An owner that has not renewed its pins for `lifetime` (a scheduler
// that is gone) loses them.
#ifndef FARM_CACHE_PIN_REGISTRY_H_
#define FARM_CACHE_PIN_REGISTRY_H_

#include <map>
#include <memory>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cache/blob_store.h"
#include "common/clock.h"
#include "common/digest.h"

namespace farm::cache {

class PinRegistry {
 public:
  // Reads what `dir` holds (created if missing; "" keeps pins in memory
  // only), dropping expired owners. kDataLoss for an unreadable pin file.
  static absl::StatusOr<std::unique_ptr<PinRegistry>> Open(
      std::string dir, const Clock* clock,
      absl::Duration lifetime = absl::Hours(24));

  // Replaces `owner`'s pins (an empty set removes the owner) and renews
  // them; the same set again within a 24th of the lifetime is left as it
  // is, unwritten. Returns every live owner's pins together.
  absl::StatusOr<absl::flat_hash_set<Digest>> Set(
      const std::string& owner, absl::flat_hash_set<Digest> digests);
  // Every live owner's pins together.
  absl::flat_hash_set<Digest> All();

 private:
  struct Owner {
    absl::flat_hash_set<Digest> digests;
    absl::Time renewed;
  };
  PinRegistry(std::string dir, const Clock* clock, absl::Duration lifetime)
      : dir_(std::move(dir)), clock_(clock), lifetime_(lifetime) {}
  std::string FileOf(const std::string& owner) const;
  void ExpireLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::flat_hash_set<Digest> AllLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string dir_;
  const Clock* clock_;
  const absl::Duration lifetime_;
  absl::Mutex mu_;
  std::map<std::string, Owner> owners_ ABSL_GUARDED_BY(mu_);
};

// CacheAdmin::Delete over a local store: refuses if any of `digests` is in
// `pinned`, else deletes each.
absl::Status DeleteUnpinned(BlobStore& blobs,
                            const absl::flat_hash_set<Digest>& pinned,
                            const std::vector<Digest>& digests);

}  // namespace farm::cache

#endif  // FARM_CACHE_PIN_REGISTRY_H_
