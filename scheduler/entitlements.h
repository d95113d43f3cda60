// Entitlements, as BuildKit has them: what a RUN may get beyond the
// sandbox. A step that asks for one runs only when the scheduler was started
// to grant it (--allow-entitlement) and the build asked for it
// (`farm build --allow`), so neither a Dockerfile alone nor a client alone
// can take it.
#ifndef FARM_SCHEDULER_ENTITLEMENTS_H_
#define FARM_SCHEDULER_ENTITLEMENTS_H_

#include <set>
#include <string>

#include "absl/status/status.h"
#include "planner/planner.h"

namespace farm::scheduler {

inline constexpr char kSecurityInsecure[] = "security.insecure";
inline constexpr char kNetworkHost[] = "network.host";

// kInvalidArgument naming the known entitlements for any other name.
absl::Status ValidateEntitlement(const std::string& name);

// Every RUN --security=insecure and --network=host of the planned stages
// needs its entitlement both `granted` and `requested`; kFailedPrecondition
// "Dockerfile:LINE: RUN --security=insecure needs the security.insecure
// entitlement: ..." naming both switches otherwise.
absl::Status CheckEntitlements(const planner::PlannedBuild& plan,
                               const std::string& dockerfile_name,
                               const std::set<std::string>& granted,
                               const std::set<std::string>& requested);

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_ENTITLEMENTS_H_
