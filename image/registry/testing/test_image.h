// Test images made the way farm makes real ones: layers written by
// image/layer's WriteLayer from directories, an image config and a manifest
// (OCI or Docker schema 2), all stored in a DirBlobStore, whose directory
// can also be made an OCI image layout for skopeo to read.
#ifndef FARM_IMAGE_REGISTRY_TESTING_TEST_IMAGE_H_
#define FARM_IMAGE_REGISTRY_TESTING_TEST_IMAGE_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/digest.h"
#include "image/archive/dir_blob_store.h"
#include "image/compress/compression.h"
#include "image/oci/descriptor.h"

namespace farm::image::registry::testing {

struct TestImage {
  std::string manifest;    // bytes as stored
  std::string media_type;  // of the manifest
  Digest digest;           // of the manifest
  oci::Descriptor config;
  std::vector<oci::Descriptor> layers;

  oci::Descriptor Descriptor() const;
};

struct BuiltLayer {
  oci::Descriptor blob;
  Digest diff_id;
};

// Writes directory `dir` as a layer blob into `store`.
absl::StatusOr<BuiltLayer> StoreLayerFromDir(
    archive::DirBlobStore& store, const std::string& dir,
    compress::Compression compression = compress::Compression::kGzip,
    int level = 6);

// Makes one layer per map (relative path → file contents) under a temp dir
// and stores them, a config for `platform` and a manifest in `store`.
// `docker_types` gives Docker schema 2 media types instead of OCI.
absl::StatusOr<TestImage> BuildTestImage(
    archive::DirBlobStore& store,
    const std::vector<std::map<std::string, std::string>>& layers,
    const std::string& platform = "linux/amd64", bool docker_types = false);

// Stores the config and manifest for already stored `layers`.
absl::StatusOr<TestImage> AssembleImage(archive::DirBlobStore& store,
                                        const std::vector<BuiltLayer>& layers,
                                        const std::string& platform,
                                        bool docker_types = false);

// Stores an OCI index listing `images` with their platforms.
absl::StatusOr<TestImage> BuildIndex(
    archive::DirBlobStore& store,
    const std::vector<std::pair<TestImage, std::string>>& images_and_platforms);

// Writes oci-layout and an index.json naming `refs` (tag → manifest or
// index descriptor) into `dir`, the DirBlobStore's directory, so that
// `skopeo copy oci:DIR:TAG ...` works.
absl::Status WriteOciLayout(
    const std::string& dir,
    const std::vector<std::pair<std::string, oci::Descriptor>>& refs);

}  // namespace farm::image::registry::testing

#endif  // FARM_IMAGE_REGISTRY_TESTING_TEST_IMAGE_H_
