#include "cache/remote/remote_blob_store.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "cache/proto_convert.h"
#include "cache/remote/channel.h"
#include "cache/remote/remote_streams.h"
#include "cache/verifying_stream.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"

namespace farm::cache {

RemoteBlobStore::RemoteBlobStore(std::shared_ptr<grpc::Channel> channel,
                                 RemoteOptions options)
    : stub_(proto::CacheService::NewStub(std::move(channel))),
      options_(options) {}

absl::StatusOr<std::vector<Digest>> RemoteBlobStore::FindMissing(
    absl::Span<const Digest> digests) {
  std::vector<Digest> missing;
  absl::flat_hash_set<Digest> reported;
  for (size_t start = 0; start < digests.size();
       start += options_.find_missing_batch) {
    absl::Span<const Digest> part =
        digests.subspan(start, options_.find_missing_batch);
    proto::FindMissingRequest request;
    AddDigests(part, request.mutable_digests());
    proto::FindMissingResponse response;
    grpc::ClientContext context;
    SetTimeout(context, options_.timeout);
    RETURN_IF_ERROR(
        FromGrpcStatus(stub_->FindMissing(&context, request, &response)));
    ASSIGN_OR_RETURN(std::vector<Digest> found,
                     ParseDigestList(response.missing(), "missing"));
    // The server deduplicates each batch; keep each digest once overall.
    for (Digest& digest : found) {
      if (reported.insert(digest).second) missing.push_back(std::move(digest));
    }
  }
  return missing;
}

absl::StatusOr<std::unique_ptr<ByteReader>> RemoteBlobStore::Get(
    const Digest& digest) {
  proto::BatchReadRequest request;
  request.add_digests(digest.ToString());
  proto::BatchReadResponse response;
  grpc::ClientContext context;
  SetTimeout(context, options_.timeout);
  RETURN_IF_ERROR(
      FromGrpcStatus(stub_->BatchRead(&context, request, &response)));
  if (response.entries_size() != 1) {
    return absl::InternalError(absl::StrCat(
        "BatchRead answered ", response.entries_size(), " entries for 1"));
  }
  proto::BatchReadResponse::Entry& entry = *response.mutable_entries(0);
  RETURN_IF_ERROR(FromBlobStatus(entry.status()));
  std::unique_ptr<ByteReader> inner;
  if (entry.use_stream()) {
    inner = std::make_unique<RemoteBlobReader>(stub_.get(), digest);
  } else {
    inner = std::make_unique<StringReader>(std::move(*entry.mutable_data()));
  }
  return std::make_unique<VerifyingReader>(std::move(inner), digest, nullptr);
}

std::vector<absl::StatusOr<std::string>> RemoteBlobStore::GetSmall(
    absl::Span<const Digest> digests) {
  std::vector<absl::StatusOr<std::string>> out;
  if (digests.empty()) return out;
  proto::BatchReadRequest request;
  AddDigests(digests, request.mutable_digests());
  proto::BatchReadResponse response;
  grpc::ClientContext context;
  SetTimeout(context, options_.timeout);
  absl::Status call =
      FromGrpcStatus(stub_->BatchRead(&context, request, &response));
  if (call.ok() &&
      response.entries_size() != static_cast<int>(digests.size())) {
    call = absl::InternalError(absl::StrCat("BatchRead answered ",
                                            response.entries_size(),
                                            " entries for ", digests.size()));
  }
  out.reserve(digests.size());
  for (size_t i = 0; i < digests.size(); ++i) {
    if (!call.ok()) {
      out.push_back(call);
      continue;
    }
    proto::BatchReadResponse::Entry& entry = *response.mutable_entries(i);
    absl::Status status = FromBlobStatus(entry.status());
    if (!status.ok()) {
      out.push_back(status);
    } else if (entry.use_stream()) {
      out.push_back(GetBlob(*this, digests[i]));
    } else if (Digest::Of(entry.data()) != digests[i]) {
      out.push_back(absl::DataLossError(absl::StrCat(
          "blob ", digests[i].ToString(), " arrived with other bytes")));
    } else {
      out.push_back(std::move(*entry.mutable_data()));
    }
  }
  return out;
}

absl::StatusOr<std::unique_ptr<BlobWriter>> RemoteBlobStore::Put(
    const Digest& digest) {
  return std::make_unique<RemoteBlobWriter>(stub_.get(), digest, options_);
}

absl::Status RemoteBlobStore::Delete(const Digest& digest) {
  proto::DeleteRequest request;
  request.add_digests(digest.ToString());
  proto::DeleteResponse response;
  grpc::ClientContext context;
  SetTimeout(context, options_.timeout);
  return FromGrpcStatus(stub_->Delete(&context, request, &response));
}

absl::StatusOr<BlobInfo> RemoteBlobStore::Stat(const Digest& digest) {
  proto::StatRequest request;
  request.set_digest(digest.ToString());
  proto::StatResponse response;
  grpc::ClientContext context;
  SetTimeout(context, options_.timeout);
  RETURN_IF_ERROR(FromGrpcStatus(stub_->Stat(&context, request, &response)));
  return BlobInfo{digest, static_cast<uint64_t>(response.size())};
}

}  // namespace farm::cache
