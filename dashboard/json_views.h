// The dashboard API's JSON bodies, built from the farm's own types. Pure;
// docs/dashboard.md describes every field.
#ifndef FARM_DASHBOARD_JSON_VIEWS_H_
#define FARM_DASHBOARD_JSON_VIEWS_H_

#include <vector>

#include "absl/time/time.h"
#include "cache/cache_admin.h"
#include "dashboard/build_progress.h"
#include "dashboard/farm_history.h"
#include "dashboard/farm_view.h"
#include "nlohmann/json.hpp"
#include "proto/build.pb.h"

namespace farm::dashboard {

using Json = nlohmann::json;

// A row of the builds list; `now` gives a running build's duration so far.
Json BuildRowJson(const proto::BuildSummary& summary, absl::Time now);
Json EventJson(const proto::BuildEvent& event);
// The build page: the row, the Dockerfile, the stage graphs with each
// stage's state, the jobs on the timeline and the failure.
Json BuildDetailJson(const proto::BuildSummary& summary,
                     const scheduler::BuildOutline& outline,
                     const std::vector<proto::BuildEvent>& events,
                     int64_t last_sequence, absl::Time now);
Json WorkersJson(const WorkersReport& report, const FarmHistory& history);
// The biggest layers (at most `top`) and which image keeps each.
Json CacheJson(const cache::CacheStats& stats, const FarmHistory& history,
               const std::vector<StoredImage>& images, size_t top = 20);

}  // namespace farm::dashboard

#endif  // FARM_DASHBOARD_JSON_VIEWS_H_
