#include "common/grpc_connection.h"

#include <grpcpp/support/channel_arguments.h>

namespace farm {

bool AwaitConnection(grpc::Channel& channel, absl::Duration timeout) {
  grpc::experimental::ChannelResetConnectionBackoff(&channel);
  return channel.WaitForConnected(absl::ToChronoTime(absl::Now() + timeout));
}

}  // namespace farm
