// BuildSession's last step: storing the built image (or each platform's
// image and their index) under the tags, then the requested archives and
// pushes.
#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/io.h"
#include "common/status_macros.h"
#include "scheduler/build_session.h"
#include "scheduler/image_archives.h"
#include "scheduler/image_assembler.h"

namespace farm::scheduler {

absl::StatusOr<ImageInfo> BuildSession::Store(
    const proto::BuildRequest& request, const PlatformBuilds& builds,
    proto::BuildResult* result) {
  const std::map<std::string, std::string> labels(request.labels().begin(),
                                                  request.labels().end());
  std::vector<std::string> tags(request.tags().begin(), request.tags().end());
  std::vector<PlatformImage> images;
  for (size_t p = 0; p < builds.size(); ++p) {
    ASSIGN_OR_RETURN(AssembledImage image,
                     AssembleImage(builds.at(p).output, *deps_.blobs, labels));
    images.push_back({builds.at(p).platform, std::move(image)});
  }
  if (!builds.several()) {
    const AssembledImage& image = images[0].image;
    result->set_image_id(image.config_digest.ToString());
    result->set_manifest_digest(image.manifest_digest.ToString());
    return deps_.images->Add(image.manifest_digest, tags);
  }
  ASSIGN_OR_RETURN(AssembledIndex index, AssembleIndex(images, *deps_.blobs));
  result->set_image_id(index.digest.ToString());
  result->set_manifest_digest(index.digest.ToString());
  for (const PlatformImage& one : images) {
    proto::PlatformImage* out = result->add_platform_images();
    out->set_platform(one.platform);
    out->set_image_id(one.image.config_digest.ToString());
    out->set_manifest_digest(one.image.manifest_digest.ToString());
  }
  return deps_.images->Add(index.digest, tags);
}

absl::Status BuildSession::Deliver(const proto::BuildRequest& request,
                                   const PlatformBuilds& builds,
                                   proto::BuildResult* result) {
  ASSIGN_OR_RETURN(ImageInfo info, Store(request, builds, result));
  for (const std::string& tag : info.tags) result->add_tags(tag);
  for (const std::string& format : request.outputs()) {
    ASSIGN_OR_RETURN(image::archive::ArchiveFormat parsed,
                     ParseArchiveFormat(format));
    RETURN_IF_ERROR(MakeDirs(deps_.spool_dir));
    std::string path = JoinPath(
        deps_.spool_dir, absl::StrCat("output-", id_, "-", format, ".tar"));
    ASSIGN_OR_RETURN(std::unique_ptr<ByteWriter> file, OpenFileWriter(path));
    std::vector<std::string> refs(request.tags().begin(), request.tags().end());
    if (refs.empty()) refs.push_back(result->image_id());
    RETURN_IF_ERROR(SaveImages(refs, parsed, *deps_.images, *deps_.blobs,
                               file.get(), deps_.distribution));
    RETURN_IF_ERROR(file->Close());
    proto::BuildServerMessage last;
    last.mutable_output()->set_format(format);
    last.mutable_output()->set_last(true);
    Send(std::move(last), path);
  }
  if (request.push()) {
    if (!deps_.push) {
      return absl::FailedPreconditionError(
          "--push: this farm has no registry access configured");
    }
    for (const std::string& tag : info.tags) {
      RETURN_IF_ERROR(deps_.push(tag));
    }
  }
  return absl::OkStatus();
}

}  // namespace farm::scheduler
