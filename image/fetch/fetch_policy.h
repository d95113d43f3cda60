// FetchPolicy: which addresses the scheduler may connect to when it fetches
// an `ADD <url>`. Without it, a Dockerfile could make the scheduler fetch
// cloud metadata, its own ports or private-network services into an image.
#ifndef FARM_IMAGE_FETCH_FETCH_POLICY_H_
#define FARM_IMAGE_FETCH_FETCH_POLICY_H_

#include <sys/socket.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace farm::image {

// Whether an address is one ADD <url> may reach without being allowed by
// name. Refused: unspecified (0.0.0.0/8, ::), loopback (127/8, ::1),
// link-local (169.254/16, fe80::/10), private (10/8, 172.16/12, 192.168/16,
// fc00::/7), shared CGNAT (100.64/10, where some clouds put their metadata
// service), IETF protocol assignments 192.0.0/24, benchmarking 198.18/15,
// multicast (224/4, ff00::/8), reserved 240/4 and broadcast, site-local
// fec0::/10, and anything that is not IPv4 or IPv6 (or null).
// IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64
// (64:ff9b::/96) and 6to4 (2002::/16) IPv6 addresses are judged by their
// IPv4 part. Documentation ranges (192.0.2/24, 198.51.100/24, 203.0.113/24,
// 2001:db8::/32) count as public: this machine's network uses them for real
// hosts.
bool IsPublicAddress(const struct sockaddr* address);

// A one-word reason for a refused address: "unspecified", "loopback",
// "link-local", "private", "cgnat", "ietf-protocol", "benchmarking",
// "multicast", "broadcast", "reserved", "site-local" or "non-ip"; "public"
// for an address IsPublicAddress accepts.
std::string AddressKind(const struct sockaddr* address);

// The numeric form of an IPv4 or IPv6 address ("127.0.0.1", "::1"), without
// port or brackets; "(non-IP address)" for anything else.
std::string AddressText(const struct sockaddr* address);

// Immutable, so thread-safe.
class FetchPolicy {
 public:
  // `allowed_hosts`: host names or IP literals (from --allow-fetch-host),
  // compared case-insensitively with a URL's host (IPv6 literals with or
  // without brackets, in any spelling); their URLs may connect to any
  // address.
  explicit FetchPolicy(std::vector<std::string> allowed_hosts = {});

  // A policy that allows everything (tests of unrelated code, and explicit
  // opt-out).
  static FetchPolicy AllowAll();

  bool HostAllowed(absl::string_view host) const;

  // OK when `host` is allowed or `address` is public; otherwise
  // kPermissionDenied naming the URL, the address and its kind and how to
  // allow it: "http://127.0.0.1:8080/x resolves to 127.0.0.1, a loopback
  // address: the farm fetches ADD URLs only from public addresses unless
  // farm-scheduler is started with --allow-fetch-host 127.0.0.1 (for the
  // embedded farm: FARM_ALLOW_FETCH_HOSTS=127.0.0.1)".
  absl::Status CheckConnection(absl::string_view url, absl::string_view host,
                               const struct sockaddr* address) const;

 private:
  bool allow_all_ = false;
  std::vector<std::string> allowed_hosts_;  // normalized by NormalizeHost
};

}  // namespace farm::image

#endif  // FARM_IMAGE_FETCH_FETCH_POLICY_H_
