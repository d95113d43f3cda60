// EtcdImageIndexStorage: the image index in etcd, so that a new leader among
// farm-schedulers sees every image and tag the old one stored, and a stale
// leader cannot write (each write runs under the leader's fence):
//   PREFIX/images/<manifest digest>       → the record's JSON
//   PREFIX/tags/<tenant>/<normalised tag> → the manifest digest
// Every part after PREFIX is escaped with EscapeKeyPart (etcd_keys.h), so a
// '/' in a tenant or tag cannot make keys collide or leave their prefix.
#ifndef FARM_SCHEDULER_ETCD_IMAGE_INDEX_STORAGE_H_
#define FARM_SCHEDULER_ETCD_IMAGE_INDEX_STORAGE_H_

#include <map>
#include <string>

#include "common/etcd/etcd_client.h"
#include "scheduler/etcd_keys.h"
#include "scheduler/image_index_storage.h"

namespace farm::scheduler {

// Save writes only what changed since the last Load or Save, so Load once
// leadership is won, before the first Save: keys this object never saw are
// neither rewritten nor deleted.
class EtcdImageIndexStorage : public ImageIndexStorage {
 public:
  // etcd refuses transactions of more than 128 ops by default.
  static constexpr size_t kMaxOpsPerTxn = 100;

  // `client` (not owned) reads; `write` runs each write transaction under
  // the leader's fence.
  EtcdImageIndexStorage(etcd::EtcdClient* client, std::string prefix,
                        FencedWriter write);

  // Both prefixes in one transaction, so at one revision.
  absl::StatusOr<ImageIndex> Load() override;
  // In transactions of at most kMaxOpsPerTxn ops: puts of images, puts of
  // tags, deletes of tags, deletes of images, so that a crash between two
  // never leaves a tag naming a missing image. A lost fence is the writer's
  // kFailedPrecondition, as is; after any error the next Save writes the
  // whole difference again.
  absl::Status Save(const ImageIndex& index) override;

 private:
  using Keys = std::map<std::string, std::string>;  // key → value

  Keys KeysOf(const ImageIndex& index) const;
  absl::Status ReadImages(const std::vector<etcd::KeyValue>& kvs,
                          ImageIndex& index) const;
  absl::Status ReadTags(const std::vector<etcd::KeyValue>& kvs,
                        ImageIndex& index) const;
  absl::Status Write(const std::vector<etcd::Op>& ops);

  etcd::EtcdClient* client_;
  const std::string images_;  // PREFIX/images/
  const std::string tags_;    // PREFIX/tags/
  FencedWriter write_;
  Keys saved_;  // what etcd holds, as far as this object knows
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_ETCD_IMAGE_INDEX_STORAGE_H_
