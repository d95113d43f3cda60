#include "scheduler/image_assembler.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "image/oci/config.h"
#include "image/oci/manifest.h"
#include "image/oci/media_types.h"

namespace farm::scheduler {

namespace {

// Docker's media type for a gzip layer; other compressions keep their OCI
// type, which Docker also reads.
std::string LayerMediaType(const std::string& given) {
  if (given.empty() || given == image::oci::kOciLayerTarGzip) {
    return std::string(image::oci::kDockerLayerTarGzip);
  }
  return given;
}

}  // namespace

absl::StatusOr<AssembledImage> AssembleImage(const proto::StageOutput& output,
                                             cache::BlobStore& blobs) {
  ASSIGN_OR_RETURN(image::oci::ImageConfig config,
                   image::oci::ImageConfig::Parse(output.config()));
  if (config.diff_ids.size() != static_cast<size_t>(output.layers_size())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the image config lists ", config.diff_ids.size(),
        " layers but the build produced ", output.layers_size()));
  }
  image::oci::Manifest manifest;
  manifest.media_type = std::string(image::oci::kDockerManifest);
  manifest.config.media_type = std::string(image::oci::kDockerConfig);
  manifest.config.digest = Digest::Of(output.config());
  manifest.config.size = output.config().size();
  for (const proto::LayerRef& layer : output.layers()) {
    image::oci::Descriptor d;
    d.media_type = LayerMediaType(layer.media_type());
    ASSIGN_OR_RETURN(d.digest, Digest::Parse(layer.digest()));
    d.size = layer.size();
    manifest.layers.push_back(std::move(d));
  }
  AssembledImage image;
  image.manifest_json = manifest.ToJson();
  image.manifest_digest = Digest::Of(image.manifest_json);
  image.config_digest = manifest.config.digest;
  RETURN_IF_ERROR(cache::PutBlob(blobs, output.config()));
  RETURN_IF_ERROR(cache::PutBlob(blobs, image.manifest_json));
  return image;
}

}  // namespace farm::scheduler
