#include "scheduler/image_resolver.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "image/oci/config.h"
#include "image/registry/platform.h"

namespace farm::scheduler {

absl::StatusOr<proto::ImageContent> ImageContentOf(
    const ImageInfo& info, const std::string& reference) {
  proto::ImageContent content;
  content.set_reference(reference);
  content.set_manifest_digest(info.record.manifest_digest);
  content.set_config(info.config_json);
  if (info.manifest.layers.size() != info.config.diff_ids.size()) {
    return absl::DataLossError(
        absl::StrCat("image ", reference, " has ", info.manifest.layers.size(),
                     " layers but its config lists ",
                     info.config.diff_ids.size(), " diff_ids"));
  }
  for (size_t i = 0; i < info.manifest.layers.size(); ++i) {
    proto::LayerRef* layer = content.add_layers();
    layer->set_digest(info.manifest.layers[i].digest.ToString());
    layer->set_diff_id(info.config.diff_ids[i].ToString());
    layer->set_size(info.manifest.layers[i].size);
    layer->set_media_type(info.manifest.layers[i].media_type);
  }
  return content;
}

absl::StatusOr<ImageInfo> StoredForPlatform(const ImageInfo& info,
                                            const std::string& reference,
                                            const std::string& platform) {
  if (info.is_index()) {
    absl::StatusOr<ImageInfo> one =
        ForPlatform(info, platform.empty() ? "linux/amd64" : platform);
    if (!one.ok()) {
      return absl::NotFoundError(absl::StrCat("base image \"", reference,
                                              "\": ", one.status().message()));
    }
    return one;
  }
  const image::oci::ImageConfig& config = info.config;
  if (platform.empty() || config.os.empty() || config.architecture.empty()) {
    return info;  // nothing asked, or nothing to compare
  }
  ASSIGN_OR_RETURN(image::oci::Platform want,
                   image::registry::ParsePlatform(platform));
  image::oci::Platform have;
  have.os = config.os;
  have.architecture = config.architecture;
  have.variant = config.variant;
  if (image::registry::PlatformMatches(want, have)) return info;
  // As Docker refuses it: an image for one platform does not run on another.
  std::string wanted =
      image::registry::PlatformString(image::registry::NormalizePlatform(want));
  return absl::NotFoundError(absl::StrCat(
      "base image \"", reference, "\" is for ",
      image::registry::PlatformString(image::registry::NormalizePlatform(have)),
      " only, not ", wanted, ": pull that platform with `farm pull --platform ",
      wanted, " ", reference, "`"));
}

absl::StatusOr<proto::ImageContent> StoreImageResolver::Resolve(
    const std::string& reference, const std::string& platform, bool pull) {
  absl::StatusOr<ImageInfo> info = images_->Get(reference);
  if (absl::IsNotFound(info.status())) {
    return absl::NotFoundError(absl::StrCat(
        "base image \"", reference,
        "\" is not in the farm's image store: load it with `farm load -i "
        "FILE` or pull it with `farm pull ",
        reference, "`"));
  }
  if (!info.ok()) return info.status();
  ASSIGN_OR_RETURN(ImageInfo one,
                   StoredForPlatform(*info, reference, platform));
  return ImageContentOf(one, reference);
}

absl::StatusOr<std::optional<planner::BaseImage>> PlanningResolver::Resolve(
    const std::string& reference, const std::string& platform) {
  ASSIGN_OR_RETURN(proto::ImageContent content,
                   resolver_->Resolve(reference, platform, pull_));
  ASSIGN_OR_RETURN(image::oci::ImageConfig config,
                   image::oci::ImageConfig::Parse(content.config()));
  images_[planner::ImageMapKey(reference, platform, target_platform_)] =
      std::move(content);
  planner::BaseImage base;
  base.env = config.config.env;
  base.onbuild = config.config.on_build;
  return base;
}

absl::Status PlanningResolver::Add(const std::string& reference,
                                   const std::string& platform) {
  std::string key = planner::ImageMapKey(reference, platform, target_platform_);
  if (images_.count(key)) return absl::OkStatus();
  ASSIGN_OR_RETURN(proto::ImageContent content,
                   resolver_->Resolve(reference, platform, pull_));
  images_[key] = std::move(content);
  return absl::OkStatus();
}

}  // namespace farm::scheduler
