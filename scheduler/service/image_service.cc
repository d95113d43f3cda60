#include "scheduler/service/image_service.h"

#include "absl/time/time.h"
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
  return summary;
}

grpc::Status ImageService::ListImages(grpc::ServerContext*,
                                      const proto::ListImagesRequest* request,
                                      proto::ListImagesResponse* response) {
  absl::StatusOr<std::vector<ImageInfo>> images = images_->List(request->all());
  if (!images.ok()) return ToGrpcStatus(images.status());
  for (const ImageInfo& info : *images) {
    *response->add_images() = Summarize(info);
  }
  return grpc::Status::OK;
}

grpc::Status ImageService::InspectImage(
    grpc::ServerContext*, const proto::InspectImageRequest* request,
    proto::InspectImageResponse* response) {
  absl::StatusOr<ImageInfo> info = images_->Get(request->reference());
  if (!info.ok()) return ToGrpcStatus(info.status());
  *response->mutable_summary() = Summarize(*info);
  response->set_config(info->config_json);
  response->set_manifest(info->manifest_json);
  return grpc::Status::OK;
}

grpc::Status ImageService::TagImage(grpc::ServerContext*,
                                    const proto::TagImageRequest* request,
                                    proto::TagImageResponse*) {
  return ToGrpcStatus(images_->Tag(request->source(), request->target()));
}

grpc::Status ImageService::RemoveImages(
    grpc::ServerContext*, const proto::RemoveImagesRequest* request,
    proto::RemoveImagesResponse* response) {
  for (const std::string& reference : request->references()) {
    absl::StatusOr<RemoveResult> removed =
        images_->Remove(reference, /*force=*/false);
    if (!removed.ok()) return ToGrpcStatus(removed.status());
    for (const std::string& tag : removed->untagged)
      response->add_untagged(tag);
    for (const std::string& id : removed->deleted) response->add_deleted(id);
  }
  return grpc::Status::OK;
}

grpc::Status ImageService::PruneImages(grpc::ServerContext*,
                                       const proto::PruneImagesRequest* request,
                                       proto::PruneImagesResponse* response) {
  absl::StatusOr<PruneImagesResult> pruned = images_->Prune(request->all());
  if (!pruned.ok()) return ToGrpcStatus(pruned.status());
  for (const std::string& id : pruned->deleted) response->add_deleted(id);
  response->set_reclaimed_bytes(pruned->reclaimed_bytes);
  return grpc::Status::OK;
}

grpc::Status ImageService::LoadImages(
    grpc::ServerContext*, grpc::ServerReader<proto::ArchiveChunk>* reader,
    proto::LoadImagesResponse* response) {
  MessageByteReader<proto::ArchiveChunk> archive(reader);
  absl::StatusOr<std::vector<std::string>> loaded =
      scheduler::LoadImages(&archive, *images_, *blobs_, spool_dir_);
  if (!loaded.ok()) return ToGrpcStatus(loaded.status());
  for (const std::string& line : *loaded) response->add_loaded(line);
  return grpc::Status::OK;
}

grpc::Status ImageService::SaveImages(
    grpc::ServerContext*, const proto::SaveImagesRequest* request,
    grpc::ServerWriter<proto::ArchiveChunk>* writer) {
  absl::StatusOr<image::archive::ArchiveFormat> format =
      ParseArchiveFormat(request->format());
  if (!format.ok()) return ToGrpcStatus(format.status());
  ChunkByteWriter<proto::ArchiveChunk> out(writer);
  std::vector<std::string> refs(request->references().begin(),
                                request->references().end());
  absl::Status saved =
      scheduler::SaveImages(refs, *format, *images_, *blobs_, &out);
  if (saved.ok()) saved = out.Close();
  return ToGrpcStatus(saved);
}

grpc::Status ImageService::PullImage(grpc::ServerContext*,
                                     const proto::PullImageRequest* request,
                                     proto::PullImageResponse* response) {
  if (!pull_) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "this farm has no registry access configured");
  }
  absl::StatusOr<proto::PullImageResponse> pulled = pull_(*request);
  if (!pulled.ok()) return ToGrpcStatus(pulled.status());
  *response = *pulled;
  return grpc::Status::OK;
}

grpc::Status ImageService::PushImage(grpc::ServerContext*,
                                     const proto::PushImageRequest* request,
                                     proto::PushImageResponse* response) {
  if (!push_) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "this farm has no registry access configured");
  }
  absl::StatusOr<proto::PushImageResponse> pushed = push_(*request);
  if (!pushed.ok()) return ToGrpcStatus(pushed.status());
  *response = *pushed;
  return grpc::Status::OK;
}

}  // namespace farm::scheduler
