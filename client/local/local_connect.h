// How a command reaches the local farm server of its --root, starting one
// when none answers: the client half of local_server.h.
#ifndef FARM_CLIENT_LOCAL_LOCAL_CONNECT_H_
#define FARM_CLIENT_LOCAL_LOCAL_CONNECT_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "proto/container.pb.h"

namespace farm::client::local {

// A channel to the server of `root`. When none answers on its socket, takes
// ROOT/run/start.lock (so that commands started together start one server),
// starts `farm --root ROOT serve-local` detached in a session of its own,
// and waits for it to answer. A server with other settings
// (ServerSettings) is asked to exit once idle and replaced. kUnavailable,
// with the end of ROOT/run/server.log, when the new server does not come up.
absl::StatusOr<std::shared_ptr<grpc::Channel>> ConnectLocalServer(
    const std::string& root);

// The server of `root` as it answers now, or nullopt when none does;
// starts none.
struct RunningServer {
  std::shared_ptr<grpc::Channel> channel;
  proto::LocalServerInfo info;
};
std::optional<RunningServer> FindLocalServer(const std::string& root);

}  // namespace farm::client::local

#endif  // FARM_CLIENT_LOCAL_LOCAL_CONNECT_H_
