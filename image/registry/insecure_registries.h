// InsecureRegistries: which registries farm may reach over plain HTTP (and
// over HTTPS without certificate checks), by the rules of Docker's
// --insecure-registry: loopback always, others only when listed by
// host[:port] or CIDR (in config.json's "insecure-registries"; farm has no
// such flag).
#ifndef FARM_IMAGE_REGISTRY_INSECURE_REGISTRIES_H_
#define FARM_IMAGE_REGISTRY_INSECURE_REGISTRIES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace farm::image::registry {

class InsecureRegistries {
 public:
  // Loopback only.
  InsecureRegistries() = default;

  // Entries are "host", "host:port" or an IP network "10.0.0.0/8"
  // ("fd00::/8"). kInvalidArgument for a malformed CIDR or an entry with a
  // scheme or path.
  static absl::StatusOr<InsecureRegistries> Parse(
      const std::vector<std::string>& entries);
  // The "insecure-registries" list of farm's config.json at `path`, plus
  // `extra` (entries the caller adds). A missing file is fine.
  static absl::StatusOr<InsecureRegistries> Load(
      const std::string& path, const std::vector<std::string>& extra = {});

  // `host` is "name", "name:port", "1.2.3.4:5", "[::1]:5000". True for
  // localhost, 127.0.0.0/8 and ::1, for a listed name (with the same port,
  // or any port when listed without one) and for an IP inside a listed
  // network.
  bool Allows(absl::string_view host) const;

 private:
  struct Network {
    int family = 0;
    unsigned char addr[16] = {0};
    int prefix = 0;
  };
  std::vector<std::string> hosts_;
  std::vector<Network> networks_;

  static bool InNetwork(const Network& net, int family,
                        const unsigned char* addr);
};

// Splits "host:port", "[v6]:port" or "host" into host and port ("" if none).
void SplitHostPort(absl::string_view hostport, std::string* host,
                   std::string* port);

}  // namespace farm::image::registry

#endif  // FARM_IMAGE_REGISTRY_INSECURE_REGISTRIES_H_
