#include "scheduler/registry_images.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "image/oci/manifest.h"
#include "image/oci/media_types.h"
#include "image/registry/image_puller.h"
#include "image/registry/image_pusher.h"
#include "image/registry/platform.h"
#include "image/registry/reference.h"
#include "scheduler/blob_adapters.h"

namespace farm::scheduler {

namespace {

// The manifest or index that goes to the registry for `info`: its
// distribution form with `forms`, else its own bytes.
absl::StatusOr<DistributionForm> PushedForm(const ImageInfo& info,
                                            DistributionForms* forms) {
  if (forms != nullptr) {
    if (info.is_index()) return forms->OfIndex(info.index_json);
    return forms->Of(info.manifest, info.manifest_json);
  }
  DistributionForm form;
  if (info.is_index()) {
    form.manifest_json = info.index_json;
    ASSIGN_OR_RETURN(form.media_type,
                     image::oci::SniffMediaType(info.index_json));
    if (form.media_type.empty()) {
      form.media_type = std::string(image::oci::kOciIndex);
    }
  } else {
    form.manifest_json = info.manifest_json;
    form.media_type = info.manifest.media_type.empty()
                          ? std::string(image::oci::kOciManifest)
                          : info.manifest.media_type;
  }
  form.digest = Digest::Of(form.manifest_json);
  return form;
}

}  // namespace

absl::StatusOr<ImageInfo> RegistryImages::Pull(ImageStore& images,
                                               const std::string& reference,
                                               const std::string& platform) {
  ASSIGN_OR_RETURN(image::registry::Reference ref,
                   image::registry::Reference::Parse(reference));
  std::shared_ptr<absl::Mutex> lock;
  {
    absl::MutexLock guard(&mu_);
    std::shared_ptr<absl::Mutex>& slot = pulling_[ref.String()];
    if (slot == nullptr) slot = std::make_shared<absl::Mutex>();
    lock = slot;
  }
  absl::MutexLock pulling(lock.get());
  image::registry::PullOptions options;
  if (!platform.empty()) {
    ASSIGN_OR_RETURN(options.platform,
                     image::registry::ParsePlatform(platform));
  }
  options.have_blob = [this](const Digest& digest) {
    return blobs_->Stat(digest).ok();
  };
  StoreBlobSink sink(blobs_, spool_dir_);
  image::registry::ImagePuller puller(client_.get());
  ASSIGN_OR_RETURN(image::registry::PullResult pulled,
                   puller.Pull(ref, sink, options));
  std::vector<std::string> tags;
  if (!ref.tag().empty()) tags.push_back(ref.String());
  // A reference by digest names the index; the store records the
  // platform's manifest.
  return images.Add(pulled.image.descriptor.digest, tags);
}

absl::StatusOr<proto::PushImageResponse> RegistryImages::Push(
    ImageStore& images, const std::string& reference) {
  ASSIGN_OR_RETURN(ImageInfo info, images.Get(reference));
  ASSIGN_OR_RETURN(image::registry::Reference ref,
                   image::registry::Reference::Parse(reference));
  ASSIGN_OR_RETURN(DistributionForm form, PushedForm(info, forms_));
  StoreBlobSource source(blobs_);
  // An index goes as `docker buildx build --push` sends one: each platform's
  // blobs, then its manifest by digest, then the index at the tag.
  image::registry::ImagePusher pusher(client_.get());
  ASSIGN_OR_RETURN(
      image::registry::PushResult pushed,
      pusher.Push(ref, form.manifest_json, form.media_type, source));
  proto::PushImageResponse response;
  response.set_manifest_digest(pushed.digest.ToString());
  response.set_size(pushed.bytes_uploaded);
  return response;
}

absl::StatusOr<proto::ImageContent> RegistryImageResolver::Resolve(
    const std::string& reference, const std::string& platform, bool pull) {
  if (!pull) {
    absl::StatusOr<ImageInfo> stored = images_->Get(reference);
    if (stored.ok()) {
      ASSIGN_OR_RETURN(ImageInfo one,
                       StoredForPlatform(*stored, reference, platform));
      return ImageContentOf(one, reference);
    }
    if (!absl::IsNotFound(stored.status())) return stored.status();
  }
  absl::StatusOr<ImageInfo> pulled =
      registry_->Pull(*images_, reference, platform);
  if (!pulled.ok()) {
    return Annotate(pulled.status(),
                    absl::StrCat("resolving base image \"", reference, "\""));
  }
  return ImageContentOf(*pulled, reference);
}

}  // namespace farm::scheduler
