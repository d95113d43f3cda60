// `farm login --remote ADDR` and `farm logout --remote ADDR`: keep the token
// of a farm in farm's config.json (client/farm_logins.h), checked against
// the farm first, as `docker login` checks a password.
#ifndef FARM_CLIENT_FARM_LOGIN_H_
#define FARM_CLIENT_FARM_LOGIN_H_

#include <string>
#include <vector>

#include "client/farm_channel.h"

namespace farm::client {

// farm login --remote ADDR [--token-stdin]: the token is read from standard
// input, or asked for with the echo off. Exit 0 when the farm accepts it.
int RunFarmLoginCommand(const std::vector<std::string>& args,
                        const FarmEndpoint& endpoint);
int RunFarmLogoutCommand(const std::vector<std::string>& args,
                         const FarmEndpoint& endpoint);

}  // namespace farm::client

#endif  // FARM_CLIENT_FARM_LOGIN_H_
