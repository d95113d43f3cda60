// How a `farm run` container is described between the client and the local
// server (proto::ContainerConfig), and the command-line forms of its
// published ports and bind mounts.
#ifndef FARM_CLIENT_LOCAL_CONTAINER_SPEC_H_
#define FARM_CLIENT_LOCAL_CONTAINER_SPEC_H_

#include <string>

#include "absl/status/statusor.h"
#include "proto/container.pb.h"
#include "worker/executor/executor.h"

namespace farm::client::local {

// The process of `config`, named `runtime_id` for runc. Its stdio is
// attached (with a terminal for config.tty) when `attached`; a detached
// one writes to the executor's OutputSink. kInvalidArgument for an unknown
// network.
absl::StatusOr<executor::ProcessSpec> ProcessSpecOf(
    const proto::ContainerConfig& config, const std::string& runtime_id,
    bool attached);

// -p: "[IP:][HOSTPORT:]CONTAINERPORT[/tcp|/udp]". Docker picks a free host
// port when HOSTPORT is left out; farm asks for one (kInvalidArgument).
absl::StatusOr<proto::PortMapping> ParsePublish(const std::string& spec);

// -v: "HOSTDIR:DIR[:ro|:rw]", both absolute. Docker's named volumes (a
// first part without a slash) are not supported (kInvalidArgument).
absl::StatusOr<proto::BindMount> ParseVolume(const std::string& spec);

// Docker's exit status for a container that could not run: 127 when its
// command does not exist, 126 when it cannot be run, else 125.
int ExitCodeForError(const absl::Status& status);

// "0.0.0.0:8080->80/tcp", as `docker ps` shows one.
std::string PortText(const proto::PortMapping& port);

}  // namespace farm::client::local

#endif  // FARM_CLIENT_LOCAL_CONTAINER_SPEC_H_
