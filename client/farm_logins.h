// Tokens for remote farms, kept in farm's config.json beside the registry
// logins, as `docker login` keeps its credentials:
//   {"farms": {"sched.example:7700": {"token": "..."}}, "auths": {...}}
// `farm login --remote ADDR` writes them; every command to ADDR sends the
// stored token unless FARM_TOKEN or --token-file gives another.
#ifndef FARM_CLIENT_FARM_LOGINS_H_
#define FARM_CLIENT_FARM_LOGINS_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace farm::client {

// The token stored for `remote`, or nullopt. A missing file holds none;
// kDataLoss for a file that is not JSON.
absl::StatusOr<std::optional<std::string>> StoredFarmToken(
    const std::string& config_path, const std::string& remote);

// Stores (or replaces) the token for `remote`, keeping every other field of
// the file; written through a 0600 temporary file and rename.
absl::Status StoreFarmToken(const std::string& config_path,
                            const std::string& remote,
                            const std::string& token);

// Removes the token for `remote`; false when there was none.
absl::StatusOr<bool> RemoveFarmToken(const std::string& config_path,
                                     const std::string& remote);

}  // namespace farm::client

#endif  // FARM_CLIENT_FARM_LOGINS_H_
