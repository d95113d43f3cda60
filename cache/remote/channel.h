// Dialling a farm-cache server, and the call options of its clients. One
// channel per process is enough, shared by RemoteBlobStore,
// RemoteActionCache and RemoteCacheAdmin.
#ifndef FARM_CACHE_REMOTE_CHANNEL_H_
#define FARM_CACHE_REMOTE_CHANNEL_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "auth/tls/channel.h"

namespace farm::cache {

// How the remote clients talk to a farm-cache.
struct RemoteOptions {
  // Blobs up to this size use the batch calls; larger ones stream. The
  // server's own limit (CacheService::Options) should be at least this.
  size_t max_batch_bytes = 1 << 20;
  size_t stream_chunk_bytes = 1 << 20;         // bytes per Write message
  size_t find_missing_batch = 20'000;          // digests per FindMissing call
  absl::Duration timeout = absl::Seconds(60);  // per unary call
};

// An insecure channel to `target` ("host:port") that accepts the large
// messages of batch reads. Connection happens lazily, on the first call.
std::shared_ptr<grpc::Channel> DialCache(const std::string& target);
// The same over TLS and with a token when `security` says so (a scheduler
// talking to a farm-cache). Errors name an unreadable TLS file.
absl::StatusOr<std::shared_ptr<grpc::Channel>> DialCache(
    const std::string& target, const auth::ClientSecurity& security);

// Sets a deadline `timeout` from now on a unary call.
void SetTimeout(grpc::ClientContext& context, absl::Duration timeout);

}  // namespace farm::cache

#endif  // FARM_CACHE_REMOTE_CHANNEL_H_
