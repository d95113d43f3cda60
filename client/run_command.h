// `farm run [--rm] [-e K=V] [-u USER] [-w DIR] [--entrypoint X] IMAGE
// [CMD...]`: runs a built image in the foreground with runc and the host
// network, so a user can try what they built.
#ifndef FARM_CLIENT_RUN_COMMAND_H_
#define FARM_CLIENT_RUN_COMMAND_H_

#include <string>
#include <vector>

#include "client/farm_channel.h"

namespace farm::client {

// `args` are the words after "run". Returns the container's exit status,
// or, as `docker run` does, 125 when farm itself fails (bad flags, unknown
// image, runtime errors), 126 when the command cannot be invoked and 127
// when it is not found. Errors go to stderr.
int RunRunCommand(const std::vector<std::string>& args,
                  const FarmEndpoint& endpoint);

}  // namespace farm::client

#endif  // FARM_CLIENT_RUN_COMMAND_H_
