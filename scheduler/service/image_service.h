// ImageService: the gRPC face of the farm's image stores (`farm images`,
// `rmi`, `tag`, `inspect`, `history`, `load`, `save`, `image prune`, with
// or without --remote). Each method authorizes the caller, takes the image
// store of the caller's tenant, converts, calls ImageStore or the archive
// code, and converts back. An admin's listing spans every tenant.
#ifndef FARM_SCHEDULER_SERVICE_IMAGE_SERVICE_H_
#define FARM_SCHEDULER_SERVICE_IMAGE_SERVICE_H_

#include <functional>
#include <string>

#include "auth/authenticator.h"
#include "cache/blob_store.h"
#include "proto/image.grpc.pb.h"
#include "scheduler/distribution_forms.h"
#include "scheduler/image_store.h"

namespace farm::scheduler {

class ImageService final : public proto::ImageService::Service {
 public:
  // Pull and push go through these when set (the registry step adds them);
  // the store is the caller's tenant's.
  using PullFn = std::function<absl::StatusOr<proto::PullImageResponse>(
      ImageStore&, const proto::PullImageRequest&)>;
  using PushFn = std::function<absl::StatusOr<proto::PushImageResponse>(
      ImageStore&, const proto::PushImageRequest&)>;

  // Names what uses the image with this id ("" when nothing does).
  using InUseFn = std::function<std::string(const std::string& image_id)>;

  // Nothing is owned. `spool_dir` holds blobs of a load in transit.
  ImageService(ImageStores* images, cache::BlobStore* blobs,
               const auth::Authenticator* authenticator, std::string spool_dir,
               PullFn pull = nullptr, PushFn push = nullptr,
               DistributionForms* forms = nullptr)
      : images_(images),
        blobs_(blobs),
        authenticator_(authenticator),
        spool_dir_(std::move(spool_dir)),
        pull_(std::move(pull)),
        push_(std::move(push)),
        forms_(forms) {}

  // RemoveImages then refuses to delete an image `in_use` names, as
  // Docker refuses one a container uses.
  void set_in_use(InUseFn in_use) { in_use_ = std::move(in_use); }

  grpc::Status ListImages(grpc::ServerContext* context,
                          const proto::ListImagesRequest* request,
                          proto::ListImagesResponse* response) override;
  grpc::Status InspectImage(grpc::ServerContext* context,
                            const proto::InspectImageRequest* request,
                            proto::InspectImageResponse* response) override;
  grpc::Status TagImage(grpc::ServerContext* context,
                        const proto::TagImageRequest* request,
                        proto::TagImageResponse* response) override;
  grpc::Status RemoveImages(grpc::ServerContext* context,
                            const proto::RemoveImagesRequest* request,
                            proto::RemoveImagesResponse* response) override;
  grpc::Status PruneImages(grpc::ServerContext* context,
                           const proto::PruneImagesRequest* request,
                           proto::PruneImagesResponse* response) override;
  grpc::Status LoadImages(grpc::ServerContext* context,
                          grpc::ServerReader<proto::ArchiveChunk>* reader,
                          proto::LoadImagesResponse* response) override;
  grpc::Status SaveImages(
      grpc::ServerContext* context, const proto::SaveImagesRequest* request,
      grpc::ServerWriter<proto::ArchiveChunk>* writer) override;
  grpc::Status PullImage(grpc::ServerContext* context,
                         const proto::PullImageRequest* request,
                         proto::PullImageResponse* response) override;
  grpc::Status PushImage(grpc::ServerContext* context,
                         const proto::PushImageRequest* request,
                         proto::PushImageResponse* response) override;
  grpc::Status ReadImageBlob(
      grpc::ServerContext* context, const proto::ReadImageBlobRequest* request,
      grpc::ServerWriter<proto::ArchiveChunk>* writer) override;

 private:
  // kFailedPrecondition, in Docker's words, when removing `reference`
  // would delete an image that in_use_ names a user of.
  absl::Status CheckNotInUse(ImageStore& store, const std::string& reference);
  // The caller's tenant's store, once the caller may use images.
  absl::StatusOr<ImageStore*> StoreOf(const grpc::ServerContext& context);

  ImageStores* images_;
  cache::BlobStore* blobs_;
  const auth::Authenticator* authenticator_;
  std::string spool_dir_;
  PullFn pull_;
  PushFn push_;
  DistributionForms* forms_;
  InUseFn in_use_;
};

// The summary `farm images` shows for one image.
proto::ImageSummary Summarize(const ImageInfo& info);

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_SERVICE_IMAGE_SERVICE_H_
