// Commands about the farm itself rather than images: `farm cache
// stats|prune`, `farm workers`, `farm builds`.
#ifndef FARM_CLIENT_FARM_COMMANDS_H_
#define FARM_CLIENT_FARM_COMMANDS_H_

#include <string>
#include <vector>

#include "client/farm_channel.h"

namespace farm::client {

int RunCacheCommand(const std::vector<std::string>& args,
                    const FarmEndpoint& endpoint);
int RunWorkersCommand(const std::vector<std::string>& args,
                      const FarmEndpoint& endpoint);
int RunBuildsCommand(const std::vector<std::string>& args,
                     const FarmEndpoint& endpoint);
// The scheduler's counters as JSON (builds, jobs dispatched, deduplicated,
// retried, cancelled, workers lost, runs per stage key, ...).
int RunStatsCommand(const std::vector<std::string>& args,
                    const FarmEndpoint& endpoint);

}  // namespace farm::client

#endif  // FARM_CLIENT_FARM_COMMANDS_H_
