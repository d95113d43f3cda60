#include "cache/service/cache_service.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "auth/service/call_identity.h"
#include "cache/proto_convert.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"

namespace farm::cache {

CacheService::CacheService(BlobStore* blobs, ActionCache* actions,
                           CacheAdmin* admin,
                           const auth::Authenticator* authenticator,
                           Options options)
    : blobs_(blobs),
      actions_(actions),
      admin_(admin),
      authenticator_(authenticator),
      options_(options) {}

// Returns from the calling method unless the caller holds `permission`.
#define FARM_AUTHORIZE(context, permission)                         \
  do {                                                              \
    absl::StatusOr<auth::Identity> caller = auth::AuthorizeCall(    \
        *(context), *authenticator_, auth::Permission::permission); \
    if (!caller.ok()) return ToGrpcStatus(caller.status());         \
  } while (0)

grpc::Status CacheService::FindMissing(grpc::ServerContext* context,
                                       const proto::FindMissingRequest* request,
                                       proto::FindMissingResponse* response) {
  FARM_AUTHORIZE(context, kCacheRead);
  absl::StatusOr<std::vector<Digest>> digests =
      ParseDigestList(request->digests(), "digests");
  if (!digests.ok()) return ToGrpcStatus(digests.status());
  absl::StatusOr<std::vector<Digest>> missing = blobs_->FindMissing(*digests);
  if (!missing.ok()) return ToGrpcStatus(missing.status());
  AddDigests(*missing, response->mutable_missing());
  return grpc::Status::OK;
}

void CacheService::ReadOne(const std::string& text, size_t& budget,
                           proto::BatchReadResponse::Entry* entry) {
  entry->set_digest(text);
  absl::Status status = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(Digest digest, ParseDigestField(text, "digests"));
    absl::StatusOr<BlobInfo> info = blobs_->Stat(digest);
    if (info.ok() &&
        (info->size > options_.max_batch_bytes || info->size > budget)) {
      entry->set_size(info->size);
      entry->set_use_stream(true);
      return absl::OkStatus();
    }
    if (!info.ok() && info.status().code() != absl::StatusCode::kNotFound) {
      return info.status();
    }
    // Anything not known to be large goes through Get, which also counts
    // the hit or the miss.
    ASSIGN_OR_RETURN(std::unique_ptr<ByteReader> reader, blobs_->Get(digest));
    ASSIGN_OR_RETURN(*entry->mutable_data(),
                     ReadAll(*reader, options_.max_batch_bytes));
    entry->set_size(entry->data().size());
    budget -= entry->data().size();
    return absl::OkStatus();
  }();
  *entry->mutable_status() = ToBlobStatus(status);
}

grpc::Status CacheService::BatchRead(grpc::ServerContext* context,
                                     const proto::BatchReadRequest* request,
                                     proto::BatchReadResponse* response) {
  FARM_AUTHORIZE(context, kCacheRead);
  size_t budget = options_.max_batch_bytes;
  for (const std::string& text : request->digests()) {
    ReadOne(text, budget, response->add_entries());
  }
  return grpc::Status::OK;
}

grpc::Status CacheService::BatchUpdate(grpc::ServerContext* context,
                                       const proto::BatchUpdateRequest* request,
                                       proto::BatchUpdateResponse* response) {
  FARM_AUTHORIZE(context, kCacheWrite);
  for (const proto::BatchUpdateRequest::Entry& entry : request->entries()) {
    absl::Status status = [&]() -> absl::Status {
      ASSIGN_OR_RETURN(Digest digest,
                       ParseDigestField(entry.digest(), "entries.digest"));
      ASSIGN_OR_RETURN(std::unique_ptr<BlobWriter> writer, blobs_->Put(digest));
      RETURN_IF_ERROR(writer->Write(entry.data()));
      return writer->Commit();
    }();
    *response->add_statuses() = ToBlobStatus(status);
  }
  return grpc::Status::OK;
}

grpc::Status CacheService::Read(
    grpc::ServerContext* context, const proto::ReadRequest* request,
    grpc::ServerWriter<proto::ReadResponse>* writer) {
  FARM_AUTHORIZE(context, kCacheRead);
  absl::StatusOr<Digest> digest = ParseDigestField(request->digest(), "digest");
  if (!digest.ok()) return ToGrpcStatus(digest.status());
  absl::StatusOr<std::unique_ptr<ByteReader>> reader = blobs_->Get(*digest);
  if (!reader.ok()) return ToGrpcStatus(reader.status());
  proto::ReadResponse message;
  while (!context->IsCancelled()) {
    std::string& buf = *message.mutable_data();
    buf.resize(options_.stream_chunk_bytes);
    absl::StatusOr<size_t> n = (*reader)->Read(buf.data(), buf.size());
    if (!n.ok()) return ToGrpcStatus(n.status());
    if (*n == 0) return grpc::Status::OK;
    buf.resize(*n);
    if (!writer->Write(message)) break;
  }
  return grpc::Status(grpc::StatusCode::CANCELLED, "reader went away");
}

grpc::Status CacheService::Write(
    grpc::ServerContext* context,
    grpc::ServerReader<proto::WriteRequest>* reader,
    proto::WriteResponse* response) {
  FARM_AUTHORIZE(context, kCacheWrite);
  proto::WriteRequest message;
  if (!reader->Read(&message)) {
    return ToGrpcStatus(absl::InvalidArgumentError("empty Write stream"));
  }
  absl::StatusOr<Digest> digest = ParseDigestField(message.digest(), "digest");
  if (!digest.ok()) return ToGrpcStatus(digest.status());
  absl::StatusOr<std::unique_ptr<BlobWriter>> writer = blobs_->Put(*digest);
  if (!writer.ok()) return ToGrpcStatus(writer.status());
  int64_t size = 0;
  do {
    if (!message.digest().empty() && message.digest() != digest->ToString()) {
      return ToGrpcStatus(absl::InvalidArgumentError(
          absl::StrCat("Write stream for ", digest->ToString(),
                       " changed its digest to ", message.digest())));
    }
    absl::Status status = (*writer)->Write(message.data());
    if (!status.ok()) return ToGrpcStatus(status);
    size += message.data().size();
  } while (reader->Read(&message));
  // A client that cancels must not get a half blob committed.
  if (context->IsCancelled()) {
    return grpc::Status(grpc::StatusCode::CANCELLED, "upload cancelled");
  }
  absl::Status committed = (*writer)->Commit();
  if (!committed.ok()) return ToGrpcStatus(committed);
  response->set_committed_size(size);
  return grpc::Status::OK;
}

grpc::Status CacheService::Stat(grpc::ServerContext* context,
                                const proto::StatRequest* request,
                                proto::StatResponse* response) {
  FARM_AUTHORIZE(context, kCacheRead);
  absl::StatusOr<Digest> digest = ParseDigestField(request->digest(), "digest");
  if (!digest.ok()) return ToGrpcStatus(digest.status());
  absl::StatusOr<BlobInfo> info = blobs_->Stat(*digest);
  if (!info.ok()) return ToGrpcStatus(info.status());
  response->set_size(info->size);
  return grpc::Status::OK;
}

grpc::Status CacheService::Delete(grpc::ServerContext* context,
                                  const proto::DeleteRequest* request,
                                  proto::DeleteResponse*) {
  FARM_AUTHORIZE(context, kAdminister);
  absl::StatusOr<std::vector<Digest>> digests =
      ParseDigestList(request->digests(), "digests");
  if (!digests.ok()) return ToGrpcStatus(digests.status());
  return ToGrpcStatus(admin_->Delete(*digests));
}

grpc::Status CacheService::GetActionResult(
    grpc::ServerContext* context, const proto::GetActionResultRequest* request,
    proto::ActionResult* response) {
  FARM_AUTHORIZE(context, kCacheRead);
  absl::StatusOr<Digest> key = ParseDigestField(request->key(), "key");
  if (!key.ok()) return ToGrpcStatus(key.status());
  absl::StatusOr<proto::ActionResult> result = actions_->Get(*key);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = std::move(*result);
  return grpc::Status::OK;
}

grpc::Status CacheService::BatchGetActionResults(
    grpc::ServerContext* context,
    const proto::BatchGetActionResultsRequest* request,
    proto::BatchGetActionResultsResponse* response) {
  FARM_AUTHORIZE(context, kCacheRead);
  std::vector<Digest> keys;
  keys.reserve(request->keys_size());
  for (const std::string& text : request->keys()) {
    absl::StatusOr<Digest> key = ParseDigestField(text, "keys");
    if (!key.ok()) return ToGrpcStatus(key.status());
    keys.push_back(*key);
  }
  std::vector<absl::StatusOr<proto::ActionResult>> results =
      actions_->GetMany(keys);
  for (size_t i = 0; i < keys.size(); ++i) {
    proto::BatchGetActionResultsResponse::Entry* entry =
        response->add_entries();
    entry->set_key(request->keys(static_cast<int>(i)));
    *entry->mutable_status() = ToBlobStatus(results[i].status());
    if (results[i].ok()) *entry->mutable_result() = std::move(*results[i]);
  }
  return grpc::Status::OK;
}

grpc::Status CacheService::UpdateActionResult(
    grpc::ServerContext* context,
    const proto::UpdateActionResultRequest* request,
    proto::UpdateActionResultResponse*) {
  FARM_AUTHORIZE(context, kCacheWrite);
  absl::StatusOr<Digest> key = ParseDigestField(request->key(), "key");
  if (!key.ok()) return ToGrpcStatus(key.status());
  return ToGrpcStatus(actions_->Update(*key, request->result()));
}

grpc::Status CacheService::Stats(grpc::ServerContext* context,
                                 const proto::CacheStatsRequest*,
                                 proto::CacheStats* response) {
  FARM_AUTHORIZE(context, kAdminister);
  absl::StatusOr<CacheStats> stats = admin_->Stats();
  if (!stats.ok()) return ToGrpcStatus(stats.status());
  *response = ToProto(*stats);
  return grpc::Status::OK;
}

grpc::Status CacheService::Prune(grpc::ServerContext* context,
                                 const proto::PruneRequest* request,
                                 proto::PruneResponse* response) {
  FARM_AUTHORIZE(context, kAdminister);
  absl::StatusOr<PruneOptions> options = FromProto(*request);
  if (!options.ok()) return ToGrpcStatus(options.status());
  absl::StatusOr<PruneResult> result = admin_->Prune(*options);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = ToProto(*result);
  return grpc::Status::OK;
}

grpc::Status CacheService::SetPins(grpc::ServerContext* context,
                                   const proto::SetPinsRequest* request,
                                   proto::SetPinsResponse*) {
  FARM_AUTHORIZE(context, kAdminister);
  absl::flat_hash_set<Digest> digests;
  for (const std::string& text : request->digests()) {
    absl::StatusOr<Digest> digest = Digest::Parse(text);
    if (!digest.ok()) return ToGrpcStatus(digest.status());
    digests.insert(*digest);
  }
  return ToGrpcStatus(admin_->SetPins(request->owner(), std::move(digests)));
}

}  // namespace farm::cache
