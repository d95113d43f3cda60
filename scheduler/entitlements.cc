#include "scheduler/entitlements.h"

#include "absl/strings/str_cat.h"
#include "dockerfile/instructions.h"

namespace farm::scheduler {

namespace {

absl::Status Missing(const std::string& where, const std::string& flag,
                     const std::string& entitlement, bool granted,
                     bool requested) {
  std::string missing;
  if (!granted) {
    absl::StrAppend(&missing, "start farm-scheduler with --allow-entitlement ",
                    entitlement);
  }
  if (!requested) {
    absl::StrAppend(&missing, missing.empty() ? "" : " and ",
                    "build with farm build --allow ", entitlement);
  }
  return absl::FailedPreconditionError(absl::StrCat(
      where, ": RUN ", flag, " needs the ", entitlement,
      " entitlement, which the scheduler must allow "
      "(--allow-entitlement) and the build must ask for (--allow): ",
      missing));
}

}  // namespace

absl::Status ValidateEntitlement(const std::string& name) {
  if (name == kSecurityInsecure || name == kNetworkHost) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown entitlement \"", name,
                   "\" (known: ", kSecurityInsecure, ", ", kNetworkHost, ")"));
}

absl::Status CheckEntitlements(const planner::PlannedBuild& plan,
                               const std::string& dockerfile_name,
                               const std::set<std::string>& granted,
                               const std::set<std::string>& requested) {
  for (const proto::PlannedStage& stage : plan.graph.stages()) {
    const auto& typed = plan.instructions.at(stage.index());
    for (size_t i = 0; i < typed.size(); ++i) {
      const auto* run = typed[i].As<dockerfile::RunInstruction>();
      if (run == nullptr) continue;
      const std::string where =
          absl::StrCat(dockerfile_name, ":", stage.instructions(i).line());
      for (const auto& [wanted, flag, entitlement] :
           {std::make_tuple(run->security == "insecure", "--security=insecure",
                            kSecurityInsecure),
            std::make_tuple(run->network == "host", "--network=host",
                            kNetworkHost)}) {
        if (!wanted) continue;
        bool g = granted.count(entitlement) > 0;
        bool r = requested.count(entitlement) > 0;
        if (!g || !r) return Missing(where, flag, entitlement, g, r);
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace farm::scheduler
