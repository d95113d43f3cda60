#include "worker/executor/etc_files.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace farm::executor {
namespace {

constexpr char kFallbackNameservers[] =
    "nameserver 8.8.8.8\n"
    "nameserver 8.8.4.4\n"
    "nameserver 2001:4860:4860::8888\n"
    "nameserver 2001:4860:4860::8844\n";

// The address of a "nameserver ADDR" line, or "" for any other line.
std::string NameserverOf(absl::string_view line) {
  size_t comment = line.find_first_of("#;");
  if (comment != absl::string_view::npos) line = line.substr(0, comment);
  std::vector<absl::string_view> words =
      absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
  if (words.size() < 2 || words[0] != "nameserver") return "";
  std::string address(words[1]);
  unsigned char buf[sizeof(in6_addr)];
  if (inet_pton(AF_INET, address.c_str(), buf) == 1 ||
      inet_pton(AF_INET6, address.c_str(), buf) == 1) {
    return address;
  }
  return "";
}

bool IsLoopback(const std::string& address) {
  in_addr v4;
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6;
  return inet_pton(AF_INET6, address.c_str(), &v6) == 1 &&
         IN6_IS_ADDR_LOOPBACK(&v6);
}

}  // namespace

std::string HostsFileContent(absl::string_view hostname) {
  return absl::StrCat("127.0.0.1\tlocalhost ", hostname,
                      "\n::1\tlocalhost ip6-localhost ip6-loopback\n");
}

std::vector<std::string> Nameservers(absl::string_view resolv_conf) {
  std::vector<std::string> out;
  for (absl::string_view line : absl::StrSplit(resolv_conf, '\n')) {
    std::string address = NameserverOf(line);
    if (!address.empty()) out.push_back(std::move(address));
  }
  return out;
}

std::string ResolvConfContent(absl::string_view host, NetworkMode network) {
  std::string out;
  bool dropped_loopback = false;
  if (network == NetworkMode::kHost) {
    out = std::string(host);
  } else {
    for (absl::string_view line : absl::StrSplit(host, '\n')) {
      std::string address = NameserverOf(line);
      if (!address.empty() && IsLoopback(address)) {
        dropped_loopback = true;
        continue;
      }
      absl::StrAppend(&out, line, "\n");
    }
    // StrSplit yields a last empty piece after a final '\n'.
    if (absl::EndsWith(out, "\n\n") || out == "\n") out.pop_back();
  }
  if (Nameservers(out).empty()) {
    if (!out.empty() && out.back() != '\n') out.push_back('\n');
    if (network == NetworkMode::kPrivate && dropped_loopback) {
      absl::StrAppend(&out, "nameserver ", kPrivateNetworkDns, "\n");
    } else {
      out += kFallbackNameservers;
    }
  }
  return out;
}

}  // namespace farm::executor
