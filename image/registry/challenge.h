// Challenge: one auth scheme offered by a registry's 401 answer
// (WWW-Authenticate, RFC 7235), e.g. Bearer with the token server's realm,
// service and scope, or Basic.
#ifndef FARM_IMAGE_REGISTRY_CHALLENGE_H_
#define FARM_IMAGE_REGISTRY_CHALLENGE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace farm::image::registry {

struct Challenge {
  std::string scheme;  // lowercase: "bearer", "basic"
  // Parameter names lowercase; values unquoted and unescaped.
  std::map<std::string, std::string> params;

  std::string Param(const std::string& name) const {
    auto it = params.find(name);
    return it == params.end() ? "" : it->second;
  }
};

// Parses the value of one WWW-Authenticate field, which may hold several
// challenges. Malformed trailing text is dropped; never fails.
std::vector<Challenge> ParseChallenges(absl::string_view header);

}  // namespace farm::image::registry

#endif  // FARM_IMAGE_REGISTRY_CHALLENGE_H_
