// The dashboard's pages, scripts and styles (dashboard/assets/), compiled
// into the binary by the embed_assets tool, so a scheduler serves them with
// no files beside it and no network.
#ifndef FARM_DASHBOARD_ASSETS_H_
#define FARM_DASHBOARD_ASSETS_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace farm::dashboard {

struct Asset {
  absl::string_view content_type;
  absl::string_view bytes;
};

// The asset named `name` ("app.js", "index.html"); nullopt if none.
std::optional<Asset> FindAsset(absl::string_view name);

}  // namespace farm::dashboard

#endif  // FARM_DASHBOARD_ASSETS_H_
