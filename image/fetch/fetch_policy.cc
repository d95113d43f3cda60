#include "image/fetch/fetch_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace farm::image {
namespace {

constexpr absl::string_view kPublic = "public";

// `address` is in host byte order.
absl::string_view Ipv4Kind(uint32_t address) {
  auto in = [address](uint32_t network, int prefix) {
    uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
    return (address & mask) == network;
  };
  if (in(0x00000000, 8)) return "unspecified";  // 0.0.0.0/8
  if (in(0x7f000000, 8)) return "loopback";     // 127/8
  if (in(0xa9fe0000, 16)) return "link-local";  // 169.254/16
  if (in(0x0a000000, 8) || in(0xac100000, 12) || in(0xc0a80000, 16)) {
    return "private";  // 10/8, 172.16/12, 192.168/16
  }
  if (in(0x64400000, 10)) return "cgnat";          // 100.64/10
  if (in(0xc0000000, 24)) return "ietf-protocol";  // 192.0.0/24
  if (in(0xc6120000, 15)) return "benchmarking";   // 198.18/15
  if (in(0xe0000000, 4)) return "multicast";       // 224/4
  if (address == 0xffffffff) return "broadcast";
  if (in(0xf0000000, 4)) return "reserved";  // 240/4
  return kPublic;
}

uint32_t Ipv4At(const uint8_t* bytes) {
  return uint32_t{bytes[0]} << 24 | uint32_t{bytes[1]} << 16 |
         uint32_t{bytes[2]} << 8 | uint32_t{bytes[3]};
}

absl::string_view Ipv6Kind(const uint8_t* b) {
  auto zeros = [&b](int from, int to) {
    return std::all_of(b + from, b + to, [](uint8_t x) { return x == 0; });
  };
  if (zeros(0, 16)) return "unspecified";
  if (zeros(0, 15) && b[15] == 1) return "loopback";
  if (zeros(0, 10) && b[10] == 0xff && b[11] == 0xff) {
    return Ipv4Kind(Ipv4At(b + 12));  // ::ffff:a.b.c.d, mapped
  }
  if (zeros(0, 12)) return Ipv4Kind(Ipv4At(b + 12));  // ::a.b.c.d
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b &&
      zeros(4, 12)) {
    return Ipv4Kind(Ipv4At(b + 12));  // 64:ff9b::a.b.c.d, NAT64
  }
  if (b[0] == 0x20 && b[1] == 0x02) return Ipv4Kind(Ipv4At(b + 2));  // 6to4
  if (b[0] == 0xff) return "multicast";                              // ff00::/8
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return "link-local";  // fe80::/10
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return "site-local";  // fec0::/10
  if ((b[0] & 0xfe) == 0xfc) return "private";                     // fc00::/7
  return kPublic;
}

absl::string_view Kind(const struct sockaddr* address) {
  if (address == nullptr) return "non-ip";
  if (address->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(address);
    return Ipv4Kind(ntohl(in->sin_addr.s_addr));
  }
  if (address->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
    return Ipv6Kind(in6->sin6_addr.s6_addr);
  }
  return "non-ip";
}

// Lower case, without IPv6 brackets, IP literals in their canonical form.
std::string NormalizeHost(absl::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::string out = absl::AsciiStrToLower(host);
  in6_addr in6;
  char text[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET6, out.c_str(), &in6) == 1 &&
      inet_ntop(AF_INET6, &in6, text, sizeof(text)) != nullptr) {
    return text;
  }
  return out;
}

}  // namespace

bool IsPublicAddress(const struct sockaddr* address) {
  return Kind(address) == kPublic;
}

std::string AddressKind(const struct sockaddr* address) {
  return std::string(Kind(address));
}

std::string AddressText(const struct sockaddr* address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address != nullptr && address->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(address);
    if (inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text))) return text;
  }
  if (address != nullptr && address->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
    if (inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text))) return text;
  }
  return "(non-IP address)";
}

FetchPolicy::FetchPolicy(std::vector<std::string> allowed_hosts) {
  for (const std::string& host : allowed_hosts) {
    allowed_hosts_.push_back(NormalizeHost(host));
  }
}

FetchPolicy FetchPolicy::AllowAll() {
  FetchPolicy policy;
  policy.allow_all_ = true;
  return policy;
}

bool FetchPolicy::HostAllowed(absl::string_view host) const {
  if (allow_all_) return true;
  std::string normalized = NormalizeHost(host);
  return !normalized.empty() &&
         std::find(allowed_hosts_.begin(), allowed_hosts_.end(), normalized) !=
             allowed_hosts_.end();
}

absl::Status FetchPolicy::CheckConnection(
    absl::string_view url, absl::string_view host,
    const struct sockaddr* address) const {
  if (HostAllowed(host) || IsPublicAddress(address)) return absl::OkStatus();
  absl::string_view kind = Kind(address);
  absl::string_view article =
      absl::string_view("aeiou").find(kind.front()) == absl::string_view::npos
          ? "a"
          : "an";
  std::string shown = NormalizeHost(host);
  return absl::PermissionDeniedError(absl::StrCat(
      url, " resolves to ", AddressText(address), ", ", article, " ", kind,
      " address: the farm fetches ADD URLs only from public addresses unless "
      "farm-scheduler is started with --allow-fetch-host ",
      shown.empty() ? AddressText(address) : shown,
      " (for the embedded farm: FARM_ALLOW_FETCH_HOSTS=",
      shown.empty() ? AddressText(address) : shown, ")"));
}

}  // namespace farm::image
