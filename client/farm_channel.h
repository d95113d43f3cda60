// Where the client's commands go: the embedded farm under --root (the
// default) or a remote scheduler (--remote ADDR / FARM_REMOTE).
#ifndef FARM_CLIENT_FARM_CHANNEL_H_
#define FARM_CLIENT_FARM_CHANNEL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "auth/tls/channel.h"
#include "grpcpp/channel.h"

namespace farm::client {

struct FarmEndpoint {
  std::string root = "/var/lib/farm";  // --root
  std::string remote;                  // --remote; "" means embedded
  // How `remote` was given, for messages: "--remote" or "FARM_REMOTE".
  std::string remote_source = "--remote";
  // TLS files and token for `remote` (client/client_security.h).
  auth::ClientSecurity security;
};

// Points `endpoint` at the farm the user named, by one rule for every
// command: `flag` (a --remote value, "" when not given), else `env`
// ($FARM_REMOTE, null when unset); with neither, `endpoint` stays as it is
// (embedded unless a caller set it).
void ResolveRemote(const std::string& flag, const char* env,
                   FarmEndpoint& endpoint);

// Whether --remote itself, not $FARM_REMOTE, named the farm: `farm login`
// and `farm logout` then keep that farm's token, not a registry login.
bool RemoteNamedByFlag(const FarmEndpoint& endpoint);

// A channel to the farm's services (Build, Image, Worker, Cache). Remote: a
// channel to the address, or to whichever of a comma-separated list of
// active/passive schedulers listens (auth/tls/channel.h says what TLS then
// checks; the list's names are resolved here, once, and an unknown host
// fails with kInvalidArgument naming it), over TLS and with a token as
// `security` says,
// whose failures of access read as one sentence each (client/farm_errors.h);
// errors name an unreadable TLS file. Embedded: a channel to the local
// farm server of `root`, started if none runs (client/local/local_connect.h),
// or, in a binary that has not called UseLocalServer (tests), the scheduler,
// cache and one worker started in this process (once per process).
absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenFarmChannel(
    const FarmEndpoint& endpoint);

// Stops the embedded farm, if one was started, so its stores close cleanly.
// Channels it handed out stop working. Call before the process exits.
void CloseFarmChannels();

}  // namespace farm::client

#endif  // FARM_CLIENT_FARM_CHANNEL_H_
