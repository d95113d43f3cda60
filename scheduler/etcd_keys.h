// What the scheduler's state in etcd shares: escaping for the parts of keys
// that come from users (tenants, cache mount ids, tags), and the fenced
// writer every write goes through so that a stale leader cannot write.
#ifndef FARM_SCHEDULER_ETCD_KEYS_H_
#define FARM_SCHEDULER_ETCD_KEYS_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/etcd/etcd_types.h"

namespace farm::scheduler {

// Runs one transaction under the leader's fence: the scheduler passes
// LeaderElection::FencedTxn. kFailedPrecondition when the fence is lost.
using FencedWriter =
    std::function<absl::StatusOr<etcd::TxnResponse>(etcd::TxnRequest)>;

// Percent-encodes every byte outside [A-Za-z0-9._~:-], '/' and '%'
// included, as %XX with upper-case hex. The result holds no '/', so a part
// can neither pass for two parts nor reach past its prefix, and distinct
// parts give distinct results. ':' stays, so digests and tags stay legible.
std::string EscapeKeyPart(absl::string_view part);

// The inverse. kInvalidArgument for anything EscapeKeyPart does not
// produce (a bad escape, an escaped byte that needs none, a raw '/'), so
// each part has exactly one spelling.
absl::StatusOr<std::string> UnescapeKeyPart(absl::string_view escaped);

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_ETCD_KEYS_H_
