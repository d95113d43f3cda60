#include "scheduler/image_archives.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "image/archive/archive_reader.h"
#include "image/archive/archive_writer.h"
#include "image/oci/media_types.h"
#include "scheduler/blob_adapters.h"

namespace farm::scheduler {

absl::StatusOr<std::vector<std::string>> LoadImages(
    ByteReader* archive, ImageStore& images, cache::BlobStore& blobs,
    const std::string& spool_dir) {
  StoreBlobSink sink(&blobs, spool_dir);
  ASSIGN_OR_RETURN(image::archive::ImportResult imported,
                   image::archive::ImportArchive(archive, sink));
  if (imported.images.empty()) {
    return absl::InvalidArgumentError("the archive holds no image");
  }
  std::vector<std::string> lines;
  std::set<Digest> indexes;
  for (const image::archive::ImportedImage& image : imported.images) {
    // An image reached through a nested index is one platform's of a
    // multi-platform image: the index (which the reader stored) is what
    // gets the names, once.
    Digest digest = image.manifest.digest;
    if (image.index.has_value()) {
      digest = image.index->digest;
      if (!indexes.insert(digest).second) continue;
    }
    ASSIGN_OR_RETURN(ImageInfo info, images.Add(digest, image.names));
    if (image.names.empty()) {
      lines.push_back(
          absl::StrCat("Loaded image ID: ", info.record.config_digest));
    }
    for (const std::string& tag : info.tags) {
      lines.push_back(absl::StrCat("Loaded image: ", FamiliarName(tag)));
    }
  }
  return lines;
}

absl::Status SaveImages(const std::vector<std::string>& references,
                        image::archive::ArchiveFormat format,
                        ImageStore& images, cache::BlobStore& blobs,
                        ByteWriter* out, DistributionForms* forms,
                        absl::string_view platform) {
  std::vector<image::archive::ArchiveImage> selected;
  for (const std::string& reference : references) {
    ASSIGN_OR_RETURN(ImageInfo info, images.Get(reference));
    if (!platform.empty() ||
        (info.is_index() && format == image::archive::ArchiveFormat::kDocker)) {
      ASSIGN_OR_RETURN(
          info, ForPlatform(info, platform.empty() ? DefaultPlatformOf(info)
                                                   : platform));
    }
    image::archive::ArchiveImage entry;
    absl::StatusOr<std::string> tag = NormalizeTag(reference);
    bool is_tag = false;
    for (const std::string& t : info.tags) is_tag |= tag.ok() && t == *tag;
    if (is_tag) entry.names.push_back(FamiliarName(*tag));
    entry.manifest.media_type = info.manifest.media_type.empty()
                                    ? std::string(image::oci::kOciManifest)
                                    : info.manifest.media_type;
    ASSIGN_OR_RETURN(entry.manifest.digest,
                     Digest::Parse(info.record.manifest_digest));
    entry.manifest.size = info.manifest_json.size();
    // A docker-archive holds plain layers anyway; an OCI layout gets gzip
    // ones and OCI media types, as BuildKit's OCI exporter writes them.
    // A multi-platform image is saved whole: its OCI index form, over each
    // platform's OCI manifest.
    if (forms != nullptr && format == image::archive::ArchiveFormat::kOci) {
      ASSIGN_OR_RETURN(
          DistributionForm form,
          info.is_index()
              ? forms->OfIndex(info.index_json, Destination::kOciLayout)
              : forms->Of(info.manifest, info.manifest_json,
                          Destination::kOciLayout));
      entry.manifest.media_type = form.media_type;
      entry.manifest.digest = form.digest;
      entry.manifest.size = form.manifest_json.size();
    }
    // The same image named twice becomes one entry with both names.
    bool merged = false;
    for (auto& existing : selected) {
      if (existing.manifest.digest == entry.manifest.digest) {
        existing.names.insert(existing.names.end(), entry.names.begin(),
                              entry.names.end());
        merged = true;
      }
    }
    if (!merged) selected.push_back(std::move(entry));
  }
  StoreBlobSource source(&blobs);
  return image::archive::ExportArchive(format, selected, source, out);
}

absl::StatusOr<image::archive::ArchiveFormat> ParseArchiveFormat(
    absl::string_view name) {
  if (name == "docker" || name.empty()) {
    return image::archive::ArchiveFormat::kDocker;
  }
  if (name == "oci") return image::archive::ArchiveFormat::kOci;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown archive format \"", name, "\": want docker or oci"));
}

}  // namespace farm::scheduler
