// The ARGs Docker defines without a Dockerfile declaring them: the proxy
// variables, which any build may pass, and the platform variables, which the
// global scope sees automatically and a stage sees once it declares them.
#ifndef FARM_PLANNER_BUILD_ARGS_H_
#define FARM_PLANNER_BUILD_ARGS_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace farm::planner {

// HTTP_PROXY, https_proxy, NO_PROXY, ALL_PROXY, ... in either case. They reach
// RUN without an ARG line and never count as unconsumed.
bool IsProxyArg(absl::string_view name);

// "os/arch[/variant]", as in `--platform linux/arm64/v8`.
struct Platform {
  std::string os;
  std::string arch;
  std::string variant;

  // Accepts "os/arch" and "os/arch/variant"; kInvalidArgument otherwise.
  static absl::StatusOr<Platform> Parse(absl::string_view text);
  std::string ToString() const;
};

// BUILDPLATFORM, BUILDOS, BUILDARCH, BUILDVARIANT and their TARGET*
// counterparts, with their values for these two platforms.
std::map<std::string, std::string> PlatformArgs(const Platform& build,
                                                const Platform& target);

// Whether `name` is one of the names PlatformArgs returns.
bool IsPlatformArg(absl::string_view name);

}  // namespace farm::planner

#endif  // FARM_PLANNER_BUILD_ARGS_H_
