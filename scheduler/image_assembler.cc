#include "scheduler/image_assembler.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "image/oci/config.h"
#include "image/oci/manifest.h"
#include "image/oci/media_types.h"
#include "image/registry/platform.h"

namespace farm::scheduler {

namespace {

using image::oci::LayerCompression;

LayerCompression CompressionOf(const std::string& media_type) {
  // Workers that predate media types sent gzip layers.
  if (media_type.empty()) return LayerCompression::kGzip;
  return image::oci::LayerCompressionOf(media_type);
}

// The Docker schema 2 type of a gzip or plain layer.
std::string DockerLayerType(LayerCompression compression) {
  return std::string(compression == LayerCompression::kNone
                         ? image::oci::kDockerLayerTar
                         : image::oci::kDockerLayerTarGzip);
}

}  // namespace

absl::StatusOr<AssembledImage> AssembleImage(
    const proto::StageOutput& output, cache::BlobStore& blobs,
    const std::map<std::string, std::string>& labels) {
  ASSIGN_OR_RETURN(image::oci::ImageConfig config,
                   image::oci::ImageConfig::Parse(output.config()));
  ASSIGN_OR_RETURN(std::string config_json,
                   image::oci::WithLabels(output.config(), labels));
  if (config.diff_ids.size() != static_cast<size_t>(output.layers_size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("the image config lists ", config.diff_ids.size(),
                     " layers but the build produced ", output.layers_size()));
  }
  // Docker's media types, as `docker build` gives an image, when every layer
  // is gzip or plain (farm's own layers are plain until pushed or saved,
  // see DistributionForms); schema 2 has no type for zstd layers, so those
  // images are OCI.
  bool docker_types = true;
  for (const proto::LayerRef& layer : output.layers()) {
    LayerCompression c = CompressionOf(layer.media_type());
    docker_types &=
        c == LayerCompression::kGzip || c == LayerCompression::kNone;
  }
  image::oci::Manifest manifest;
  manifest.media_type = std::string(docker_types ? image::oci::kDockerManifest
                                                 : image::oci::kOciManifest);
  manifest.config.media_type = std::string(
      docker_types ? image::oci::kDockerConfig : image::oci::kOciConfig);
  manifest.config.digest = Digest::Of(config_json);
  manifest.config.size = config_json.size();
  for (const proto::LayerRef& layer : output.layers()) {
    image::oci::Descriptor d;
    d.media_type = layer.media_type();
    if (docker_types) {
      d.media_type = DockerLayerType(CompressionOf(layer.media_type()));
    } else if (d.media_type.empty()) {
      d.media_type = std::string(image::oci::kOciLayerTarGzip);
    }
    ASSIGN_OR_RETURN(d.digest, Digest::Parse(layer.digest()));
    d.size = layer.size();
    manifest.layers.push_back(std::move(d));
  }
  AssembledImage image;
  image.manifest_json = manifest.ToJson();
  image.manifest_digest = Digest::Of(image.manifest_json);
  image.config_digest = manifest.config.digest;
  image.media_type = manifest.media_type;
  RETURN_IF_ERROR(cache::PutBlob(blobs, config_json));
  RETURN_IF_ERROR(cache::PutBlob(blobs, image.manifest_json));
  return image;
}

absl::StatusOr<AssembledIndex> AssembleIndex(
    const std::vector<PlatformImage>& images, cache::BlobStore& blobs) {
  image::oci::Index index;
  bool docker_types = true;
  for (const PlatformImage& one : images) {
    image::oci::Descriptor d;
    d.media_type = one.image.media_type;
    d.digest = one.image.manifest_digest;
    d.size = static_cast<int64_t>(one.image.manifest_json.size());
    ASSIGN_OR_RETURN(d.platform, image::registry::ParsePlatform(one.platform));
    docker_types &= d.media_type == image::oci::kDockerManifest;
    index.manifests.push_back(std::move(d));
  }
  index.media_type = std::string(docker_types ? image::oci::kDockerManifestList
                                              : image::oci::kOciIndex);
  AssembledIndex out;
  out.json = index.ToJson();
  out.digest = Digest::Of(out.json);
  RETURN_IF_ERROR(cache::PutBlob(blobs, out.json));
  return out;
}

}  // namespace farm::scheduler
