// `farm ps`, `logs`, `stop`, `rm` and `exec`: the containers of the local
// farm server (client/local), as Docker's commands of the same names. With
// --remote they say that a remote farm runs no containers.
#ifndef FARM_CLIENT_CONTAINER_COMMANDS_H_
#define FARM_CLIENT_CONTAINER_COMMANDS_H_

#include <string>
#include <vector>

#include "client/farm_channel.h"

namespace farm::client {

int RunPsCommand(const std::vector<std::string>& args,
                 const FarmEndpoint& endpoint);
int RunLogsCommand(const std::vector<std::string>& args,
                   const FarmEndpoint& endpoint);
int RunStopCommand(const std::vector<std::string>& args,
                   const FarmEndpoint& endpoint);
int RunRmCommand(const std::vector<std::string>& args,
                 const FarmEndpoint& endpoint);
int RunExecCommand(const std::vector<std::string>& args,
                   const FarmEndpoint& endpoint);
// `farm server status|stop`: the local server of --root.
int RunServerCommand(const std::vector<std::string>& args,
                     const FarmEndpoint& endpoint);

}  // namespace farm::client

#endif  // FARM_CLIENT_CONTAINER_COMMANDS_H_
