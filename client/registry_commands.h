// Registry commands: `farm pull`, `farm push` (carried out by the farm,
// embedded or --remote), and `farm login` / `farm logout` (which keep
// credentials in farm's config.json on this machine).
#ifndef FARM_CLIENT_REGISTRY_COMMANDS_H_
#define FARM_CLIENT_REGISTRY_COMMANDS_H_

#include <string>
#include <vector>

#include "client/farm_channel.h"

namespace farm::client {

int RunPullCommand(const std::vector<std::string>& args,
                   const FarmEndpoint& endpoint);
int RunPushCommand(const std::vector<std::string>& args,
                   const FarmEndpoint& endpoint);
// Registry logins; with an explicit --remote, a farm's token
// (client/farm_login.h).
int RunLoginCommand(const std::vector<std::string>& args,
                    const FarmEndpoint& endpoint);
int RunLogoutCommand(const std::vector<std::string>& args,
                     const FarmEndpoint& endpoint);

}  // namespace farm::client

#endif  // FARM_CLIENT_REGISTRY_COMMANDS_H_
