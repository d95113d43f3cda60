#include "auth/tls/target_list.h"

#include <netdb.h>
#include <sys/socket.h>

#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace farm::auth {
namespace {

struct HostPort {
  std::string host;  // without brackets
  std::string port;
};

// One resolved address, as gRPC's ipv4: / ipv6: lists spell it.
struct Address {
  std::string ip;  // numeric, without brackets
  std::string port;
  bool ipv6;
};

absl::StatusOr<HostPort> ParseEntry(absl::string_view entry) {
  const bool bracketed = absl::StartsWith(entry, "[");
  absl::string_view host, port;
  if (bracketed) {
    if (const size_t end = entry.find("]:"); end != absl::string_view::npos) {
      host = entry.substr(1, end - 1);
      port = entry.substr(end + 2);
    }
  } else if (const size_t colon = entry.rfind(':');
             colon != absl::string_view::npos) {
    host = entry.substr(0, colon);
    port = entry.substr(colon + 1);
  }
  int number = 0;
  if (host.empty() || (!bracketed && absl::StrContains(host, ':')) ||
      !absl::c_all_of(port, absl::ascii_isdigit) ||
      !absl::SimpleAtoi(port, &number) || number < 1 || number > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", entry,
                     "\" is not HOST:PORT (write an IPv6 address in brackets: "
                     "[::1]:7700)"));
  }
  return HostPort{std::string(host), std::string(port)};
}

// Appends the addresses `entry` resolves to, in the resolver's order.
absl::Status Resolve(const HostPort& entry, std::vector<Address>* addresses) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const int error =
      getaddrinfo(entry.host.c_str(), entry.port.c_str(), &hints, &found);
  if (error != 0) {
    // EAI_AGAIN and the like may pass; a name that does not exist will not.
    const bool for_now = error == EAI_AGAIN || error == EAI_SYSTEM ||
                         error == EAI_MEMORY || error == EAI_FAIL;
    return absl::Status(for_now ? absl::StatusCode::kUnavailable
                                : absl::StatusCode::kInvalidArgument,
                        absl::StrCat("cannot resolve host \"", entry.host,
                                     "\": ", gai_strerror(error)));
  }
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    char ip[NI_MAXHOST];
    if ((a->ai_family != AF_INET && a->ai_family != AF_INET6) ||
        getnameinfo(a->ai_addr, a->ai_addrlen, ip, sizeof(ip), nullptr, 0,
                    NI_NUMERICHOST) != 0) {
      continue;
    }
    Address address{ip, entry.port, a->ai_family == AF_INET6};
    if (absl::c_none_of(*addresses, [&](const Address& seen) {
          return seen.ip == address.ip && seen.port == address.port;
        })) {
      addresses->push_back(std::move(address));
    }
  }
  freeaddrinfo(found);
  return absl::OkStatus();
}

// gRPC's static list takes one family, so a list with any IPv6 address
// writes the IPv4 ones as IPv4-mapped IPv6, which gRPC's client connects
// to over IPv4.
std::string StaticListUri(const std::vector<Address>& addresses) {
  const bool ipv6 = absl::c_any_of(
      addresses, [](const Address& address) { return address.ipv6; });
  std::vector<std::string> parts;
  for (const Address& address : addresses) {
    parts.push_back(
        !ipv6 ? absl::StrCat(address.ip, ":", address.port)
        : address.ipv6
            ? absl::StrCat("[", address.ip, "]:", address.port)
            : absl::StrCat("[::ffff:", address.ip, "]:", address.port));
  }
  return absl::StrCat(ipv6 ? "ipv6:" : "ipv4:", absl::StrJoin(parts, ","));
}

}  // namespace

bool IsTargetList(absl::string_view target) {
  return absl::StrContains(target, ',');
}

absl::StatusOr<std::string> ResolveDialTarget(absl::string_view target,
                                              grpc::ChannelArguments* args) {
  if (!IsTargetList(target)) return std::string(target);
  const std::string context =
      absl::StrCat("in the address list \"", target, "\"");
  std::vector<Address> addresses;
  std::string first;  // the first entry, as written
  for (absl::string_view piece : absl::StrSplit(target, ',')) {
    const absl::string_view entry = absl::StripAsciiWhitespace(piece);
    absl::StatusOr<HostPort> parsed = ParseEntry(entry);
    if (!parsed.ok()) return Annotate(parsed.status(), context);
    RETURN_IF_ERROR(Annotate(Resolve(*parsed, &addresses), context));
    if (first.empty()) first = std::string(entry);
  }
  if (addresses.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(context, ": no IPv4 or IPv6 address"));
  }
  args->SetLoadBalancingPolicyName("round_robin");
  // A failover is found within seconds, not after gRPC's default backoff
  // of up to 2 minutes.
  args->SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args->SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  // A host that is down (packets dropped) is given up on after 5 s rather
  // than gRPC's default 20 s, and dialled again.
  args->SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 5000);
  // Not the URI's "A:P,B:P": the :authority header and, over TLS, the name
  // every server's certificate is checked against.
  args->SetString(GRPC_ARG_DEFAULT_AUTHORITY, first);
  return StaticListUri(addresses);
}

}  // namespace farm::auth
