// Fence: proof of leadership that a write carries into etcd. The leader's
// key and the revision that created it are compared inside the same
// transaction as the write, so a leader that lost its key (lease expired,
// resigned) cannot write even if it has not noticed yet.
#ifndef FARM_COMMON_ETCD_FENCE_H_
#define FARM_COMMON_ETCD_FENCE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/etcd/etcd_client.h"
#include "common/etcd/etcd_types.h"

namespace farm::etcd {

struct Fence {
  std::string key;  // the leader's election key
  int64_t create_revision = 0;

  // The compare to put first into a transaction of one's own. A key
  // deleted and put again gets a new create_revision, so the old fence
  // fails too.
  Compare ToCompare() const {
    return Compare::CreateRevisionEquals(key, create_revision);
  }
};

// Runs `txn` only while `fence` holds. kFailedPrecondition ("leadership
// lost") when the fence does not hold; otherwise the response, with
// succeeded == false if only txn's own compares failed (its failure ops
// ran, and ranges hold their results as usual).
absl::StatusOr<TxnResponse> FencedTxn(EtcdClient& client, const Fence& fence,
                                      TxnRequest txn);

}  // namespace farm::etcd

#endif  // FARM_COMMON_ETCD_FENCE_H_
