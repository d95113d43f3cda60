#include "planner/build_args.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace farm::planner {

bool IsProxyArg(absl::string_view name) {
  static const char* const kNames[] = {"http_proxy", "https_proxy",
                                       "ftp_proxy", "no_proxy", "all_proxy"};
  std::string lower = absl::AsciiStrToLower(name);
  // Docker accepts the all-lower and the all-upper spelling only.
  if (name != lower && name != absl::AsciiStrToUpper(name)) return false;
  for (const char* known : kNames) {
    if (lower == known) return true;
  }
  return false;
}

absl::StatusOr<Platform> Platform::Parse(absl::string_view text) {
  std::vector<std::string> parts = absl::StrSplit(text, '/');
  if (parts.size() < 2 || parts.size() > 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid platform \"", text, "\": want os/arch[/variant]"));
  }
  for (const std::string& part : parts) {
    if (part.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid platform \"", text, "\": empty component"));
    }
  }
  Platform platform;
  platform.os = absl::AsciiStrToLower(parts[0]);
  platform.arch = absl::AsciiStrToLower(parts[1]);
  if (parts.size() == 3) platform.variant = absl::AsciiStrToLower(parts[2]);
  return platform;
}

std::string Platform::ToString() const {
  if (variant.empty()) return absl::StrCat(os, "/", arch);
  return absl::StrCat(os, "/", arch, "/", variant);
}

std::map<std::string, std::string> PlatformArgs(const Platform& build,
                                                const Platform& target) {
  return {
      {"BUILDPLATFORM", build.ToString()},
      {"BUILDOS", build.os},
      {"BUILDARCH", build.arch},
      {"BUILDVARIANT", build.variant},
      {"TARGETPLATFORM", target.ToString()},
      {"TARGETOS", target.os},
      {"TARGETARCH", target.arch},
      {"TARGETVARIANT", target.variant},
  };
}

bool IsPlatformArg(absl::string_view name) {
  static const char* const kNames[] = {
      "BUILDPLATFORM",  "BUILDOS",  "BUILDARCH",  "BUILDVARIANT",
      "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT"};
  for (const char* known : kNames) {
    if (name == known) return true;
  }
  return false;
}

}  // namespace farm::planner
