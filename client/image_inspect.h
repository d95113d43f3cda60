// Rendering of stored images the way Docker shows them: `docker image
// inspect` JSON, the `docker history` table, short ids and familiar names.
#ifndef FARM_CLIENT_IMAGE_INSPECT_H_
#define FARM_CLIENT_IMAGE_INSPECT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/image.pb.h"

namespace farm::client {

// A JSON array with one object per image, as `docker image inspect` prints.
// A multi-platform image's object is its default platform's under the
// index's id and descriptor, with "Manifests" (each platform's image) and
// "Index" (the index JSON) added.
absl::StatusOr<std::string> InspectJson(
    const std::vector<proto::InspectImageResponse>& images);

// IMAGE, CREATED, CREATED BY, SIZE, COMMENT; newest step first.
absl::StatusOr<std::string> HistoryTable(
    const proto::InspectImageResponse& image, bool no_trunc, absl::Time now);

// "sha256:abcdef…" → "abcdef012345".
std::string ShortImageId(const std::string& digest);
// "docker.io/library/app:1.0" → "app:1.0".
std::string FamiliarTag(const std::string& tag);

}  // namespace farm::client

#endif  // FARM_CLIENT_IMAGE_INSPECT_H_
