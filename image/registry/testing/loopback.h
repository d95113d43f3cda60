// Loopback sockets for test servers: binding 127.0.0.1 on a free port and
// checking that something listens on one.
#ifndef FARM_IMAGE_REGISTRY_TESTING_LOOPBACK_H_
#define FARM_IMAGE_REGISTRY_TESTING_LOOPBACK_H_

#include "absl/status/statusor.h"
#include "common/fs.h"

namespace farm::image::registry::testing {

// A TCP socket bound to 127.0.0.1 on a free port, stored in `*port`.
absl::StatusOr<ScopedFd> BindLoopback(int* port);

// A port on 127.0.0.1 that was free a moment ago.
absl::StatusOr<int> PickFreePort();

// Whether a connection to 127.0.0.1:`port` succeeds.
bool CanConnect(int port);

}  // namespace farm::image::registry::testing

#endif  // FARM_IMAGE_REGISTRY_TESTING_LOOPBACK_H_
