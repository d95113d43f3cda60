#include "scheduler/service/image_service.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "auth/service/call_identity.h"
#include "common/grpc_status.h"
#include "common/grpc_streams.h"
#include "scheduler/image_archives.h"

namespace farm::scheduler {

proto::ImageSummary Summarize(const ImageInfo& info) {
  proto::ImageSummary summary;
  for (const std::string& tag : info.tags) summary.add_tags(tag);
  summary.set_image_id(info.record.config_digest);
  summary.set_manifest_digest(info.record.manifest_digest);
  summary.set_created_unix_nanos(absl::ToUnixNanos(info.record.created));
  summary.set_size(info.record.size);
  summary.set_tenant(info.tenant);
  for (const PlatformManifest& one : info.platforms) {
    summary.add_platforms(one.platform);
  }
  return summary;
}

namespace {

// `info` as InspectImage returns it; for a multi-platform image also the
// index and a summary of each platform's image.
absl::Status Describe(const ImageInfo& info,
                      proto::InspectImageResponse* response) {
  *response->mutable_summary() = Summarize(info);
  response->set_config(info.config_json);
  response->set_manifest(info.manifest_json);
  if (!info.is_index()) return absl::OkStatus();
  response->set_index(info.index_json);
  for (const PlatformManifest& one : info.platforms) {
    absl::StatusOr<ImageInfo> single = ForPlatform(info, one.platform);
    if (!single.ok()) return single.status();
    proto::ImageSummary* summary = response->add_manifests();
    *summary = Summarize(*single);
    summary->clear_tags();
    summary->add_platforms(one.platform);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ImageStore*> ImageService::StoreOf(
    const grpc::ServerContext& context) {
  absl::StatusOr<auth::Identity> caller =
      auth::AuthorizeCall(context, *authenticator_, auth::Permission::kImages);
  if (!caller.ok()) return caller.status();
  return images_->ForTenant(caller->tenant);
}

grpc::Status ImageService::ListImages(grpc::ServerContext* context,
                                      const proto::ListImagesRequest* request,
                                      proto::ListImagesResponse* response) {
  absl::StatusOr<auth::Identity> caller =
      auth::AuthorizeCall(*context, *authenticator_, auth::Permission::kImages);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  std::vector<std::string> tenants = {caller->tenant};
  if (caller->role == auth::Role::kAdmin) tenants = images_->Tenants();
  for (const std::string& tenant : tenants) {
    absl::StatusOr<std::vector<ImageInfo>> images =
        images_->ForTenant(tenant)->List(request->all());
    if (!images.ok()) return ToGrpcStatus(images.status());
    for (const ImageInfo& info : *images) {
      *response->add_images() = Summarize(info);
    }
  }
  return grpc::Status::OK;
}

grpc::Status ImageService::InspectImage(
    grpc::ServerContext* context, const proto::InspectImageRequest* request,
    proto::InspectImageResponse* response) {
  absl::StatusOr<ImageStore*> store = StoreOf(*context);
  if (!store.ok()) return ToGrpcStatus(store.status());
  absl::StatusOr<ImageInfo> info = (*store)->Get(request->reference());
  if (info.ok() && !request->platform().empty()) {
    info = ForPlatform(*info, request->platform());
  }
  if (!info.ok()) return ToGrpcStatus(info.status());
  return ToGrpcStatus(Describe(*info, response));
}

grpc::Status ImageService::TagImage(grpc::ServerContext* context,
                                    const proto::TagImageRequest* request,
                                    proto::TagImageResponse*) {
  absl::StatusOr<ImageStore*> store = StoreOf(*context);
  if (!store.ok()) return ToGrpcStatus(store.status());
  return ToGrpcStatus((*store)->Tag(request->source(), request->target()));
}

absl::Status ImageService::CheckNotInUse(ImageStore& store,
                                         const std::string& reference) {
  if (!in_use_) return absl::OkStatus();
  absl::StatusOr<ImageInfo> info = store.Get(reference);
  if (!info.ok()) return absl::OkStatus();  // Remove says why
  const std::string& id = info->record.config_digest;
  // Removing one of several names only untags: the image stays.
  const bool by_id = absl::StrContains(id, reference);
  if (!by_id && info->tags.size() > 1) return absl::OkStatus();
  const std::string user = in_use_(id);
  if (user.empty()) return absl::OkStatus();
  const std::string short_id =
      std::string(absl::StripPrefix(id, "sha256:")).substr(0, 12);
  return absl::FailedPreconditionError(
      absl::StrCat("conflict: unable to remove repository reference \"",
                   reference, "\" (must force) - container ", user,
                   " is using its referenced image ", short_id));
}

grpc::Status ImageService::RemoveImages(
    grpc::ServerContext* context, const proto::RemoveImagesRequest* request,
    proto::RemoveImagesResponse* response) {
  absl::StatusOr<ImageStore*> store = StoreOf(*context);
  if (!store.ok()) return ToGrpcStatus(store.status());
  for (const std::string& reference : request->references()) {
    absl::Status free = CheckNotInUse(**store, reference);
    if (!free.ok()) return ToGrpcStatus(free);
    absl::StatusOr<RemoveResult> removed =
        (*store)->Remove(reference, /*force=*/false);
    if (!removed.ok()) return ToGrpcStatus(removed.status());
    for (const std::string& tag : removed->untagged)
      response->add_untagged(tag);
    for (const std::string& id : removed->deleted) response->add_deleted(id);
  }
  return grpc::Status::OK;
}

grpc::Status ImageService::PruneImages(grpc::ServerContext* context,
                                       const proto::PruneImagesRequest* request,
                                       proto::PruneImagesResponse* response) {
  absl::StatusOr<ImageStore*> store = StoreOf(*context);
  if (!store.ok()) return ToGrpcStatus(store.status());
  absl::StatusOr<PruneImagesResult> pruned = (*store)->Prune(request->all());
  if (!pruned.ok()) return ToGrpcStatus(pruned.status());
  for (const std::string& id : pruned->deleted) response->add_deleted(id);
  response->set_reclaimed_bytes(pruned->reclaimed_bytes);
  return grpc::Status::OK;
}

grpc::Status ImageService::LoadImages(
    grpc::ServerContext* context,
    grpc::ServerReader<proto::ArchiveChunk>* reader,
    proto::LoadImagesResponse* response) {
  absl::StatusOr<ImageStore*> store = StoreOf(*context);
  if (!store.ok()) return ToGrpcStatus(store.status());
  MessageByteReader<proto::ArchiveChunk> archive(reader);
  absl::StatusOr<std::vector<std::string>> loaded =
      scheduler::LoadImages(&archive, **store, *blobs_, spool_dir_);
  if (!loaded.ok()) return ToGrpcStatus(loaded.status());
  for (const std::string& line : *loaded) response->add_loaded(line);
  return grpc::Status::OK;
}

grpc::Status ImageService::SaveImages(
    grpc::ServerContext* context, const proto::SaveImagesRequest* request,
    grpc::ServerWriter<proto::ArchiveChunk>* writer) {
  absl::StatusOr<ImageStore*> store = StoreOf(*context);
  if (!store.ok()) return ToGrpcStatus(store.status());
  absl::StatusOr<image::archive::ArchiveFormat> format =
      ParseArchiveFormat(request->format());
  if (!format.ok()) return ToGrpcStatus(format.status());
  ChunkByteWriter<proto::ArchiveChunk> out(writer);
  std::vector<std::string> refs(request->references().begin(),
                                request->references().end());
  absl::Status saved = scheduler::SaveImages(refs, *format, **store, *blobs_,
                                             &out, forms_, request->platform());
  if (saved.ok()) saved = out.Close();
  return ToGrpcStatus(saved);
}

grpc::Status ImageService::PullImage(grpc::ServerContext* context,
                                     const proto::PullImageRequest* request,
                                     proto::PullImageResponse* response) {
  absl::StatusOr<ImageStore*> store = StoreOf(*context);
  if (!store.ok()) return ToGrpcStatus(store.status());
  if (!pull_) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "this farm has no registry access configured");
  }
  absl::StatusOr<proto::PullImageResponse> pulled = pull_(**store, *request);
  if (!pulled.ok()) return ToGrpcStatus(pulled.status());
  *response = *pulled;
  return grpc::Status::OK;
}

grpc::Status ImageService::PushImage(grpc::ServerContext* context,
                                     const proto::PushImageRequest* request,
                                     proto::PushImageResponse* response) {
  absl::StatusOr<ImageStore*> store = StoreOf(*context);
  if (!store.ok()) return ToGrpcStatus(store.status());
  if (!push_) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "this farm has no registry access configured");
  }
  absl::StatusOr<proto::PushImageResponse> pushed = push_(**store, *request);
  if (!pushed.ok()) return ToGrpcStatus(pushed.status());
  *response = *pushed;
  return grpc::Status::OK;
}

grpc::Status ImageService::ReadImageBlob(
    grpc::ServerContext* context, const proto::ReadImageBlobRequest* request,
    grpc::ServerWriter<proto::ArchiveChunk>* writer) {
  absl::StatusOr<ImageStore*> store = StoreOf(*context);
  if (!store.ok()) return ToGrpcStatus(store.status());
  absl::StatusOr<ImageInfo> info = (*store)->Get(request->reference());
  if (!info.ok()) return ToGrpcStatus(info.status());
  absl::StatusOr<Digest> digest = Digest::Parse(request->digest());
  if (!digest.ok()) return ToGrpcStatus(digest.status());
  // Only what the image is made of (every platform's, for a multi-platform
  // one): a digest alone opens nothing.
  std::vector<Digest> parts = ImageBlobs(*info);
  if (std::find(parts.begin(), parts.end(), *digest) == parts.end()) {
    return grpc::Status(
        grpc::StatusCode::NOT_FOUND,
        absl::StrCat("blob ", request->digest(), " is not part of image ",
                     request->reference()));
  }
  absl::StatusOr<std::unique_ptr<ByteReader>> blob = blobs_->Get(*digest);
  if (!blob.ok()) return ToGrpcStatus(blob.status());
  ChunkByteWriter<proto::ArchiveChunk> out(writer);
  absl::StatusOr<uint64_t> copied = Copy(**blob, out);
  absl::Status status = copied.status();
  if (status.ok()) status = out.Close();
  return ToGrpcStatus(status);
}

}  // namespace farm::scheduler
