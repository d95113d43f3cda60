#include "client/farm_channel.h"

namespace farm::client {

void ResolveRemote(const std::string& flag, const char* env,
                   FarmEndpoint& endpoint) {
  if (!flag.empty()) {
    endpoint.remote = flag;
    endpoint.remote_source = "--remote";
  } else if (env != nullptr) {
    endpoint.remote = env;
    endpoint.remote_source = "FARM_REMOTE";
  }
}

bool RemoteNamedByFlag(const FarmEndpoint& endpoint) {
  return !endpoint.remote.empty() && endpoint.remote_source == "--remote";
}

}  // namespace farm::client
