// `farm version`: this client's version and build, and with a remote farm
// the scheduler's too (BuildService.Version), as `docker version` shows
// client and daemon.
#ifndef FARM_CLIENT_VERSION_COMMAND_H_
#define FARM_CLIENT_VERSION_COMMAND_H_

#include <string>
#include <vector>

#include "client/farm_channel.h"
#include "proto/build.pb.h"

namespace farm::client {

// The client's own VersionInfo (component "farm").
proto::VersionInfo ClientVersion();

// One "Title:" line and an indented line a field, as `farm version` prints.
std::string FormatVersion(const std::string& title,
                          const proto::VersionInfo& info);

// Exit status 0, or 1 (the client part still printed) when the remote farm
// cannot answer.
int RunVersionCommand(const std::vector<std::string>& args,
                      const FarmEndpoint& endpoint);

}  // namespace farm::client

#endif  // FARM_CLIENT_VERSION_COMMAND_H_
