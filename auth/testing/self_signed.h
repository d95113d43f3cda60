// Self-signed certificates with chosen subjects, made in memory with
// OpenSSL, for tests of code that reads certificate subjects.
#ifndef FARM_AUTH_TESTING_SELF_SIGNED_H_
#define FARM_AUTH_TESTING_SELF_SIGNED_H_

#include <string>
#include <utility>
#include <vector>

namespace farm::auth::testing {

// A PEM certificate whose subject has these (NID short name, value) entries
// in order, e.g. {{"CN", "team-a"}, {"OU", "admin"}}. Aborts on failure.
std::string SelfSignedPem(
    const std::vector<std::pair<std::string, std::string>>& subject);

}  // namespace farm::auth::testing

#endif  // FARM_AUTH_TESTING_SELF_SIGNED_H_
