// The one place where absl::Status and grpc::Status meet. Both use the same
// canonical codes, so a code and its message survive a round trip through a
// gRPC call unchanged.
#ifndef FARM_COMMON_GRPC_STATUS_H_
#define FARM_COMMON_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace farm {

// Keeps the code and the message. Payloads are dropped.
grpc::Status ToGrpcStatus(const absl::Status& status);
// Keeps the code and the message. Error details are dropped; a code outside
// the canonical range becomes kUnknown.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace farm

#endif  // FARM_COMMON_GRPC_STATUS_H_
