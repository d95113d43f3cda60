// Conversions between the cache's domain types and proto/cache.proto, shared
// by the gRPC service and the remote client so both read the wire the same
// way.
#ifndef FARM_CACHE_PROTO_CONVERT_H_
#define FARM_CACHE_PROTO_CONVERT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "cache/cache_admin.h"
#include "common/digest.h"
#include "google/protobuf/repeated_field.h"
#include "proto/cache.pb.h"

namespace farm::cache {

// kInvalidArgument naming `field` when a digest does not parse.
absl::StatusOr<Digest> ParseDigestField(const std::string& text,
                                        absl::string_view field);
absl::StatusOr<std::vector<Digest>> ParseDigestList(
    const google::protobuf::RepeatedPtrField<std::string>& texts,
    absl::string_view field);
void AddDigests(absl::Span<const Digest> digests,
                google::protobuf::RepeatedPtrField<std::string>* out);

proto::BlobStatus ToBlobStatus(const absl::Status& status);
absl::Status FromBlobStatus(const proto::BlobStatus& status);

proto::CacheStats ToProto(const CacheStats& stats);
CacheStats FromProto(const proto::CacheStats& stats);

proto::PruneRequest ToProto(const PruneOptions& options);
absl::StatusOr<PruneOptions> FromProto(const proto::PruneRequest& request);
proto::PruneResponse ToProto(const PruneResult& result);
PruneResult FromProto(const proto::PruneResponse& response);

}  // namespace farm::cache

#endif  // FARM_CACHE_PROTO_CONVERT_H_
