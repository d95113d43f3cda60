// How `farm ps` prints containers, as `docker ps` does.
#ifndef FARM_CLIENT_PS_FORMAT_H_
#define FARM_CLIENT_PS_FORMAT_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "proto/container.pb.h"

namespace farm::client {

// `docker ps`'s STATUS: "Up 3 seconds", "Exited (0) 2 minutes ago",
// "Created".
std::string ContainerStatus(const proto::ContainerRecord& record,
                            absl::Time now);
// `docker ps`'s table; `no_trunc` keeps whole ids and commands.
std::string PsTable(const std::vector<proto::ContainerRecord>& records,
                    absl::Time now, bool no_trunc);

}  // namespace farm::client

#endif  // FARM_CLIENT_PS_FORMAT_H_
