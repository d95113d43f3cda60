#include "cache/proto_convert.h"

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"

namespace farm::cache {

absl::StatusOr<Digest> ParseDigestField(const std::string& text,
                                        absl::string_view field) {
  absl::StatusOr<Digest> digest = Digest::Parse(text);
  if (!digest.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", digest.status().message()));
  }
  return digest;
}

absl::StatusOr<std::vector<Digest>> ParseDigestList(
    const google::protobuf::RepeatedPtrField<std::string>& texts,
    absl::string_view field) {
  std::vector<Digest> digests;
  digests.reserve(texts.size());
  for (int i = 0; i < texts.size(); ++i) {
    ASSIGN_OR_RETURN(
        Digest digest,
        ParseDigestField(texts[i], absl::StrCat(field, "[", i, "]")));
    digests.push_back(std::move(digest));
  }
  return digests;
}

void AddDigests(absl::Span<const Digest> digests,
                google::protobuf::RepeatedPtrField<std::string>* out) {
  out->Reserve(out->size() + static_cast<int>(digests.size()));
  for (const Digest& digest : digests) *out->Add() = digest.ToString();
}

proto::BlobStatus ToBlobStatus(const absl::Status& status) {
  proto::BlobStatus out;
  out.set_code(static_cast<int32_t>(status.code()));
  out.set_message(std::string(status.message()));
  return out;
}

absl::Status FromBlobStatus(const proto::BlobStatus& status) {
  // The codes are gRPC's canonical ones; read them the one shared way.
  return FromGrpcStatus(grpc::Status(
      static_cast<grpc::StatusCode>(status.code()), status.message()));
}

proto::CacheStats ToProto(const CacheStats& stats) {
  proto::CacheStats out;
  out.set_blob_count(stats.blob_count);
  out.set_blob_bytes(stats.blob_bytes);
  out.set_max_bytes(stats.max_bytes);
  out.set_blob_hits(stats.blob_hits);
  out.set_blob_misses(stats.blob_misses);
  out.set_evictions(stats.evictions);
  out.set_evicted_bytes(stats.evicted_bytes);
  out.set_corrupt_blobs(stats.corrupt_blobs);
  out.set_action_entries(stats.action_entries);
  out.set_action_hits(stats.action_hits);
  out.set_action_misses(stats.action_misses);
  out.set_action_conflicts(stats.action_conflicts);
  out.set_bytes_written(stats.bytes_written);
  out.set_bytes_read(stats.bytes_read);
  return out;
}

CacheStats FromProto(const proto::CacheStats& stats) {
  CacheStats out;
  out.blob_count = stats.blob_count();
  out.blob_bytes = stats.blob_bytes();
  out.max_bytes = stats.max_bytes();
  out.blob_hits = stats.blob_hits();
  out.blob_misses = stats.blob_misses();
  out.evictions = stats.evictions();
  out.evicted_bytes = stats.evicted_bytes();
  out.corrupt_blobs = stats.corrupt_blobs();
  out.action_entries = stats.action_entries();
  out.action_hits = stats.action_hits();
  out.action_misses = stats.action_misses();
  out.action_conflicts = stats.action_conflicts();
  out.bytes_written = stats.bytes_written();
  out.bytes_read = stats.bytes_read();
  return out;
}

proto::PruneRequest ToProto(const PruneOptions& options) {
  proto::PruneRequest out;
  out.set_target_bytes(options.target_bytes);
  for (const Digest& digest : options.keep) *out.add_keep() = digest.ToString();
  return out;
}

absl::StatusOr<PruneOptions> FromProto(const proto::PruneRequest& request) {
  if (request.target_bytes() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "target_bytes must not be negative: ", request.target_bytes()));
  }
  PruneOptions options;
  options.target_bytes = request.target_bytes();
  ASSIGN_OR_RETURN(std::vector<Digest> keep,
                   ParseDigestList(request.keep(), "keep"));
  options.keep.insert(keep.begin(), keep.end());
  return options;
}

proto::PruneResponse ToProto(const PruneResult& result) {
  proto::PruneResponse out;
  out.set_blobs_removed(result.blobs_removed);
  out.set_bytes_removed(result.bytes_removed);
  out.set_actions_removed(result.actions_removed);
  return out;
}

PruneResult FromProto(const proto::PruneResponse& response) {
  PruneResult out;
  out.blobs_removed = response.blobs_removed();
  out.bytes_removed = response.bytes_removed();
  out.actions_removed = response.actions_removed();
  return out;
}

}  // namespace farm::cache
