// The image commands, docker-compatible where Docker has the same verb:
// load, save, images, rmi, tag, inspect, history, image prune. Each talks
// to the farm's ImageService, embedded or --remote.
#ifndef FARM_CLIENT_IMAGE_COMMANDS_H_
#define FARM_CLIENT_IMAGE_COMMANDS_H_

#include <string>
#include <vector>

#include "client/farm_channel.h"

namespace farm::client {

// Each returns the exit status; `args` are the words after the verb.
int RunLoadCommand(const std::vector<std::string>& args,
                   const FarmEndpoint& endpoint);
int RunSaveCommand(const std::vector<std::string>& args,
                   const FarmEndpoint& endpoint);
int RunImagesCommand(const std::vector<std::string>& args,
                     const FarmEndpoint& endpoint);
int RunRmiCommand(const std::vector<std::string>& args,
                  const FarmEndpoint& endpoint);
int RunTagCommand(const std::vector<std::string>& args,
                  const FarmEndpoint& endpoint);
int RunInspectCommand(const std::vector<std::string>& args,
                      const FarmEndpoint& endpoint);
int RunHistoryCommand(const std::vector<std::string>& args,
                      const FarmEndpoint& endpoint);
int RunImagePruneCommand(const std::vector<std::string>& args,
                         const FarmEndpoint& endpoint);

}  // namespace farm::client

#endif  // FARM_CLIENT_IMAGE_COMMANDS_H_
