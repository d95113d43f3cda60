// RemoteNodeClients: NodeClients over one gRPC channel to a farm-cache,
// what a scheduler that discovers its cache nodes dials for each.
#ifndef FARM_CACHE_SHARDED_REMOTE_NODE_CLIENTS_H_
#define FARM_CACHE_SHARDED_REMOTE_NODE_CLIENTS_H_

#include "auth/tls/channel.h"
#include "cache/sharded/node_clients.h"

namespace farm::cache {

// A DialNode that opens a channel (lazily: the node need not be up) with
// `security`, which is copied.
DialNode DialRemoteNode(const auth::ClientSecurity& security);

}  // namespace farm::cache

#endif  // FARM_CACHE_SHARDED_REMOTE_NODE_CLIENTS_H_
