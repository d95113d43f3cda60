// Waiting for a gRPC channel to connect, for clients that re-dial on their
// own schedule (a worker following its scheduler, a client re-attaching to
// its build after a failover).
#ifndef FARM_COMMON_GRPC_CONNECTION_H_
#define FARM_COMMON_GRPC_CONNECTION_H_

#include <grpcpp/channel.h>

#include "absl/time/time.h"

namespace farm {

// Dials `channel` at once, skipping its backoff, and waits up to `timeout`
// for it to connect. True once it has.
//
// Why wait here rather than let a call fail fast: a synchronous client with
// no call in flight has no thread polling its sockets. gRPC's connection
// attempts in the background then complete only at its backup poll, every
// 5 s, and a 5 s connect deadline (GRPC_ARG_MIN_RECONNECT_BACKOFF_MS in
// auth/tls/target_list.cc) shuts them down first ("tcp handshaker
// shutdown"). A caller that waits polls, so a scheduler that has begun
// listening is found within milliseconds.
bool AwaitConnection(grpc::Channel& channel, absl::Duration timeout);

}  // namespace farm

#endif  // FARM_COMMON_GRPC_CONNECTION_H_
