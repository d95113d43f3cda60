// `farm load` and `farm save`: image archives (docker-archive or OCI
// layout) in and out of the ImageStore, streaming through the CAS.
#ifndef FARM_SCHEDULER_IMAGE_ARCHIVES_H_
#define FARM_SCHEDULER_IMAGE_ARCHIVES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/io.h"
#include "image/archive/archive_format.h"
#include "scheduler/distribution_forms.h"
#include "scheduler/image_store.h"

namespace farm::scheduler {

// Imports every image in the archive (the format is detected) and tags it
// with the names the archive gives. Returns Docker's "Loaded image: ..."
// lines. `spool_dir` holds blobs in transit.
absl::StatusOr<std::vector<std::string>> LoadImages(
    ByteReader* archive, ImageStore& images, cache::BlobStore& blobs,
    const std::string& spool_dir);

// Writes the named images as one archive. Names that are tags are recorded
// in the archive as such; ids are exported without a name. With `forms`, an
// OCI layout holds the gzip form of plain layers. With `platform`, each
// image is saved as that platform's (kNotFound if one lacks it); a
// docker-archive, which cannot hold an index, gets a multi-platform image's
// default platform otherwise.
absl::Status SaveImages(const std::vector<std::string>& references,
                        image::archive::ArchiveFormat format,
                        ImageStore& images, cache::BlobStore& blobs,
                        ByteWriter* out, DistributionForms* forms = nullptr,
                        absl::string_view platform = "");

absl::StatusOr<image::archive::ArchiveFormat> ParseArchiveFormat(
    absl::string_view name);

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_IMAGE_ARCHIVES_H_
