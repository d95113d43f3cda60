#include "image/registry/insecure_registries.h"

#include <arpa/inet.h>

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace farm::image::registry {
namespace {

// Parses an IPv4 or IPv6 literal; returns the family or 0.
int ParseIp(const std::string& text, unsigned char* out) {
  if (inet_pton(AF_INET, text.c_str(), out) == 1) return AF_INET;
  if (inet_pton(AF_INET6, text.c_str(), out) == 1) return AF_INET6;
  return 0;
}

}  // namespace

void SplitHostPort(absl::string_view hostport, std::string* host,
                   std::string* port) {
  port->clear();
  if (absl::StartsWith(hostport, "[")) {
    size_t close = hostport.find(']');
    *host = std::string(hostport.substr(1, close - 1));
    if (close != absl::string_view::npos && close + 1 < hostport.size() &&
        hostport[close + 1] == ':') {
      *port = std::string(hostport.substr(close + 2));
    }
    return;
  }
  size_t colon = hostport.find(':');
  // More than one colon: a bare IPv6 address.
  if (colon != absl::string_view::npos &&
      hostport.find(':', colon + 1) == absl::string_view::npos) {
    *host = std::string(hostport.substr(0, colon));
    *port = std::string(hostport.substr(colon + 1));
    return;
  }
  *host = std::string(hostport);
}

absl::StatusOr<InsecureRegistries> InsecureRegistries::Parse(
    const std::vector<std::string>& entries) {
  InsecureRegistries out;
  for (const std::string& raw : entries) {
    std::string e = absl::AsciiStrToLower(absl::StripAsciiWhitespace(raw));
    if (e.empty()) continue;
    if (absl::StrContains(e, "://")) {
      return absl::InvalidArgumentError(
          absl::StrCat("insecure registry \"", raw,
                       "\": give host[:port] without a scheme"));
    }
    size_t slash = e.find('/');
    if (slash == std::string::npos) {
      out.hosts_.push_back(e);
      continue;
    }
    Network net;
    net.family = ParseIp(e.substr(0, slash), net.addr);
    int max_prefix = net.family == AF_INET ? 32 : 128;
    if (net.family == 0 ||
        !absl::SimpleAtoi(e.substr(slash + 1), &net.prefix) || net.prefix < 0 ||
        net.prefix > max_prefix) {
      return absl::InvalidArgumentError(
          absl::StrCat("insecure registry \"", raw,
                       "\": want host[:port] or a network such as 10.0.0.0/8"));
    }
    out.networks_.push_back(net);
  }
  return out;
}

absl::StatusOr<InsecureRegistries> InsecureRegistries::Load(
    const std::string& path, const std::vector<std::string>& extra) {
  std::vector<std::string> entries = extra;
  if (PathExists(path)) {
    ASSIGN_OR_RETURN(std::string text, ReadFile(path));
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": not a JSON object; fix or remove the file"));
    }
    auto it = j.find("insecure-registries");
    if (it != j.end()) {
      if (!it->is_array()) {
        return absl::InvalidArgumentError(absl::StrCat(
            path, ": \"insecure-registries\" must be a list of strings"));
      }
      for (const auto& v : *it) {
        if (!v.is_string()) {
          return absl::InvalidArgumentError(absl::StrCat(
              path, ": \"insecure-registries\" must be a list of strings"));
        }
        entries.push_back(v.get<std::string>());
      }
    }
  }
  return Parse(entries);
}

bool InsecureRegistries::InNetwork(const Network& net, int family,
                                   const unsigned char* addr) {
  if (net.family != family) return false;
  int full = net.prefix / 8;
  if (memcmp(net.addr, addr, full) != 0) return false;
  int bits = net.prefix % 8;
  if (bits == 0) return true;
  unsigned char mask = static_cast<unsigned char>(0xff << (8 - bits));
  return (net.addr[full] & mask) == (addr[full] & mask);
}

bool InsecureRegistries::Allows(absl::string_view hostport) const {
  std::string lower = absl::AsciiStrToLower(hostport);
  std::string host, port;
  SplitHostPort(lower, &host, &port);
  if (host == "localhost") return true;
  unsigned char addr[16] = {0};
  int family = ParseIp(host, addr);
  if (family == AF_INET && addr[0] == 127) return true;
  if (family == AF_INET6) {
    static const unsigned char kLoopback6[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                                 0, 0, 0, 0, 0, 0, 0, 1};
    if (memcmp(addr, kLoopback6, 16) == 0) return true;
  }
  for (const std::string& h : hosts_) {
    if (h == lower || h == host) return true;
  }
  if (family != 0) {
    for (const Network& net : networks_) {
      if (InNetwork(net, family, addr)) return true;
    }
  }
  return false;
}

}  // namespace farm::image::registry
