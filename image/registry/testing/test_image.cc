#include "image/registry/testing/test_image.h"

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "image/layer/layer_writer.h"
#include "image/oci/config.h"
#include "image/oci/manifest.h"
#include "image/oci/media_types.h"
#include "image/registry/platform.h"

namespace farm::image::registry::testing {

oci::Descriptor TestImage::Descriptor() const {
  oci::Descriptor d;
  d.media_type = media_type;
  d.digest = digest;
  d.size = static_cast<int64_t>(manifest.size());
  return d;
}

absl::StatusOr<BuiltLayer> StoreLayerFromDir(archive::DirBlobStore& store,
                                             const std::string& dir,
                                             compress::Compression compression,
                                             int level) {
  layer::LayerWriterOptions opts;
  opts.compression = compression;
  opts.compress.level = level;
  ASSIGN_OR_RETURN(std::unique_ptr<archive::BlobUpload> up, store.Begin(-1));
  ASSIGN_OR_RETURN(layer::LayerInfo info,
                   layer::WriteLayer(dir, up.get(), opts));
  RETURN_IF_ERROR(up->Commit(info.digest));
  BuiltLayer out;
  out.blob.media_type = info.media_type;
  out.blob.digest = info.digest;
  out.blob.size = info.size;
  out.diff_id = info.diff_id;
  return out;
}

absl::StatusOr<TestImage> AssembleImage(archive::DirBlobStore& store,
                                        const std::vector<BuiltLayer>& layers,
                                        const std::string& platform,
                                        bool docker_types) {
  ASSIGN_OR_RETURN(oci::Platform p, ParsePlatform(platform));
  oci::ImageConfig config;
  config.os = p.os;
  config.architecture = p.architecture;
  config.variant = p.variant;
  config.created = absl::FromUnixSeconds(1700000000);
  config.config.env = {"PATH=/usr/bin:/bin"};
  config.config.cmd = {"/bin/sh"};
  TestImage image;
  for (const BuiltLayer& l : layers) {
    config.diff_ids.push_back(l.diff_id);
    oci::History h;
    h.created = config.created;
    h.created_by = "farm test layer";
    config.history.push_back(h);
    oci::Descriptor d = l.blob;
    if (docker_types && d.media_type == oci::kOciLayerTarGzip) {
      d.media_type = std::string(oci::kDockerLayerTarGzip);
    }
    image.layers.push_back(d);
  }
  std::string config_json = config.ToJson();
  ASSIGN_OR_RETURN(image.config.digest, archive::PutBlob(store, config_json));
  image.config.size = static_cast<int64_t>(config_json.size());
  image.config.media_type =
      std::string(docker_types ? oci::kDockerConfig : oci::kOciConfig);

  oci::Manifest m;
  m.media_type =
      std::string(docker_types ? oci::kDockerManifest : oci::kOciManifest);
  m.config = image.config;
  m.layers = image.layers;
  image.manifest = m.ToJson();
  image.media_type = m.media_type;
  ASSIGN_OR_RETURN(image.digest, archive::PutBlob(store, image.manifest));
  return image;
}

absl::StatusOr<TestImage> BuildTestImage(
    archive::DirBlobStore& store,
    const std::vector<std::map<std::string, std::string>>& layers,
    const std::string& platform, bool docker_types) {
  ASSIGN_OR_RETURN(std::string tmp, MakeTempDir("layers"));
  std::vector<BuiltLayer> built;
  absl::Status status;
  for (size_t i = 0; i < layers.size() && status.ok(); ++i) {
    std::string dir = absl::StrCat(tmp, "/", i);
    status = MakeDirs(dir);
    for (const auto& [path, data] : layers[i]) {
      if (!status.ok()) break;
      std::string full = JoinPath(dir, path);
      status = MakeDirs(DirName(full));
      if (status.ok()) status = WriteFile(full, data);
    }
    if (!status.ok()) break;
    absl::StatusOr<BuiltLayer> layer = StoreLayerFromDir(store, dir);
    if (layer.ok()) {
      built.push_back(*layer);
    } else {
      status = layer.status();
    }
  }
  RemoveAll(tmp).IgnoreError();
  RETURN_IF_ERROR(status);
  return AssembleImage(store, built, platform, docker_types);
}

absl::StatusOr<TestImage> BuildIndex(
    archive::DirBlobStore& store,
    const std::vector<std::pair<TestImage, std::string>>&
        images_and_platforms) {
  oci::Index index;
  index.media_type = std::string(oci::kOciIndex);
  for (const auto& [image, platform] : images_and_platforms) {
    oci::Descriptor d = image.Descriptor();
    ASSIGN_OR_RETURN(oci::Platform p, ParsePlatform(platform));
    d.platform = p;
    index.manifests.push_back(d);
  }
  TestImage out;
  out.manifest = index.ToJson();
  out.media_type = index.media_type;
  ASSIGN_OR_RETURN(out.digest, archive::PutBlob(store, out.manifest));
  return out;
}

absl::Status WriteOciLayout(
    const std::string& dir,
    const std::vector<std::pair<std::string, oci::Descriptor>>& refs) {
  RETURN_IF_ERROR(WriteFile(JoinPath(dir, "oci-layout"),
                            "{\"imageLayoutVersion\":\"1.0.0\"}"));
  oci::Index index;
  for (const auto& [tag, descriptor] : refs) {
    oci::Descriptor d = descriptor;
    d.annotations[std::string(oci::kAnnotationRefName)] = tag;
    index.manifests.push_back(d);
  }
  return WriteFile(JoinPath(dir, "index.json"), index.ToJson());
}

}  // namespace farm::image::registry::testing
