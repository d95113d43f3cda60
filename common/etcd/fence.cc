#include "common/etcd/fence.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace farm::etcd {

absl::StatusOr<TxnResponse> FencedTxn(EtcdClient& client, const Fence& fence,
                                      TxnRequest txn) {
  txn.compares.insert(txn.compares.begin(), fence.ToCompare());
  // On failure, read the fence key first to tell whose compare failed.
  txn.failure.insert(txn.failure.begin(), Op::Get(fence.key));
  ASSIGN_OR_RETURN(TxnResponse r, client.Txn(txn));
  if (r.succeeded) return r;
  const bool fence_holds =
      !r.ranges.empty() && r.ranges.front().size() == 1 &&
      r.ranges.front().front().create_revision == fence.create_revision;
  if (!fence_holds) {
    return absl::FailedPreconditionError(absl::StrCat(
        "leadership lost: etcd key ", fence.key, " created at revision ",
        fence.create_revision, " is gone"));
  }
  r.ranges.erase(r.ranges.begin());
  return r;
}

}  // namespace farm::etcd
