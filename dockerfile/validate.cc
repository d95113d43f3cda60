#include "dockerfile/validate.h"

#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "dockerfile/text.h"

namespace farm::dockerfile {
namespace {

const std::set<std::string>& SignalNames() {
  static const auto* const kNames = [] {
    auto* names = new std::set<std::string>{
        "ABRT", "ALRM", "BUS",   "CHLD",   "CLD",  "CONT", "FPE",    "HUP",
        "ILL",  "INT",  "IO",    "IOT",    "KILL", "PIPE", "POLL",   "PROF",
        "PWR",  "QUIT", "SEGV",  "STKFLT", "STOP", "SYS",  "TERM",   "TRAP",
        "TSTP", "TTIN", "TTOU",  "URG",    "USR1", "USR2", "VTALRM", "WINCH",
        "XCPU", "XFSZ", "RTMIN", "RTMAX"};
    for (int i = 1; i <= 15; ++i) {
      names->insert(absl::StrCat("RTMIN+", i));
      names->insert(absl::StrCat("RTMAX-", i));
    }
    return names;
  }();
  return *kNames;
}

}  // namespace

absl::Status ValidateStopSignal(absl::string_view signal) {
  std::optional<int64_t> number = ParseGoInt(signal, 64);
  if (number) {
    if (*number == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid signal: ", signal));
    }
    return absl::OkStatus();
  }
  std::string name = absl::AsciiStrToUpper(signal);
  if (absl::StartsWith(name, "SIG")) name = name.substr(3);
  if (SignalNames().count(name) == 0) {
    return absl::InvalidArgumentError(absl::StrCat("invalid signal: ", signal));
  }
  return absl::OkStatus();
}

absl::Status ValidatePortSpec(absl::string_view spec) {
  absl::string_view port = spec;
  absl::string_view proto = "tcp";
  size_t slash = port.rfind('/');
  if (slash != absl::string_view::npos) {
    proto = port.substr(slash + 1);
    port = port.substr(0, slash);
  }
  std::string lower_proto = absl::AsciiStrToLower(proto);
  if (lower_proto != "tcp" && lower_proto != "udp" && lower_proto != "sctp") {
    return absl::InvalidArgumentError(absl::StrCat("invalid proto: ", proto));
  }
  // The container port is the last ':'-separated part (an IPv6 host address
  // in brackets may contain ':' too, but never after the last one).
  size_t colon = port.rfind(':');
  if (colon != absl::string_view::npos) port = port.substr(colon + 1);
  absl::string_view first = port, last = port;
  size_t dash = port.find('-');
  if (dash != absl::string_view::npos) {
    first = port.substr(0, dash);
    last = port.substr(dash + 1);
  }
  std::optional<uint64_t> start = ParseGoUint(first, 10, 16);
  std::optional<uint64_t> end = ParseGoUint(last, 10, 16);
  if (!start || !end) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid containerPort: ", port));
  }
  if (*end < *start) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid range specified for container port: ", port));
  }
  return absl::OkStatus();
}

}  // namespace farm::dockerfile
