// EtcdCacheMountPointers: CacheMountPointers in etcd, so that each
// scheduler that leads in turn sees the same generations, and a stale leader
// cannot move a pointer: a swap is one transaction under the leader's fence.
//   PREFIX/cache-mounts/<tenant>/<id> → {"digest": "sha256:…", "size_bytes": N}
// tenant and id are escaped with EscapeKeyPart (etcd_keys.h), so a '/' in
// either cannot make two mounts share a key or leave the prefix.
#ifndef FARM_SCHEDULER_ETCD_CACHE_MOUNT_POINTERS_H_
#define FARM_SCHEDULER_ETCD_CACHE_MOUNT_POINTERS_H_

#include <string>
#include <vector>

#include "common/etcd/etcd_client.h"
#include "scheduler/cache_mount_pointers.h"
#include "scheduler/etcd_keys.h"

namespace farm::scheduler {

// Reads go to etcd each time; there is no local copy to go stale. A lost
// fence fails CompareAndSwap with kFailedPrecondition naming the key.
// kDataLoss names a key whose value does not parse.
class EtcdCacheMountPointers : public CacheMountPointers {
 public:
  // `client` (not owned) reads; `write` runs each swap under the leader's
  // fence.
  EtcdCacheMountPointers(etcd::EtcdClient* client, std::string prefix,
                         FencedWriter write);

  absl::StatusOr<MountGeneration> Get(const CacheMountKey& key) override;
  // Compares the key's mod revision as read (0: absent, which is the empty
  // generation); when another write came first, judges again against it.
  absl::Status CompareAndSwap(const CacheMountKey& key, const Digest& expected,
                              const MountGeneration& next) override;
  absl::StatusOr<std::vector<Digest>> Pointed() override;

 private:
  std::string KeyOf(const CacheMountKey& key) const;

  etcd::EtcdClient* client_;
  const std::string prefix_;  // PREFIX/cache-mounts/
  FencedWriter write_;
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_ETCD_CACHE_MOUNT_POINTERS_H_
