#include "auth/listen_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace farm::auth {
namespace {

bool IsPort(absl::string_view text) {
  uint32_t port = 0;
  return !text.empty() && absl::ascii_isdigit(text[0]) &&
         absl::SimpleAtoi(text, &port) && port <= 65535;
}

bool IsLoopbackIpv4(const std::string& host) {
  in_addr addr;
  if (inet_pton(AF_INET, host.c_str(), &addr) != 1) return false;
  return (ntohl(addr.s_addr) >> 24) == 127;
}

bool IsLoopbackIpv6(const std::string& host) {
  in6_addr addr;
  if (inet_pton(AF_INET6, host.c_str(), &addr) != 1) return false;
  if (memcmp(&addr, &in6addr_loopback, sizeof(addr)) == 0) return true;
  // ::ffff:127.x.y.z
  static const unsigned char kMappedPrefix[12] = {0, 0, 0, 0, 0,    0,
                                                  0, 0, 0, 0, 0xff, 0xff};
  return memcmp(addr.s6_addr, kMappedPrefix, sizeof(kMappedPrefix)) == 0 &&
         addr.s6_addr[12] == 127;
}

}  // namespace

bool IsLoopbackAddress(absl::string_view address) {
  if (absl::StartsWith(address, "unix:") ||
      absl::StartsWith(address, "unix-abstract:")) {
    return true;
  }
  size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos || !IsPort(address.substr(colon + 1))) {
    return false;
  }
  absl::string_view host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    return IsLoopbackIpv6(std::string(host.substr(1, host.size() - 2)));
  }
  return absl::EqualsIgnoreCase(host, "localhost") ||
         IsLoopbackIpv4(std::string(host));
}

absl::Status CheckListenSecurity(absl::string_view program,
                                 absl::string_view address, bool tls,
                                 bool identities, bool insecure_flag) {
  if (tls || identities || insecure_flag || IsLoopbackAddress(address)) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      program, ": refusing to listen on ", address,
      " in plaintext with no identities: anyone who can reach it could act "
      "as an admin (run builds as root on the workers, or rewrite the "
      "cache). Add --tls-cert FILE --tls-key FILE, "
      "and --tokens FILE or --tls-client-ca FILE; or pass --insecure to "
      "accept the risk."));
}

}  // namespace farm::auth
