// EventStreams: the dashboard's live streams, as Server-Sent Events. A
// build's stream relays its progress events as they come and ends with the
// build; the feed stream sends the builds list (all of it first, then only
// the rows that changed) and the workers, for the list pages. Each stream
// holds one server thread until the page closes it or the server stops.
#ifndef FARM_DASHBOARD_EVENT_STREAMS_H_
#define FARM_DASHBOARD_EVENT_STREAMS_H_

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "auth/identity.h"
#include "dashboard/dashboard_api.h"
#include "dashboard/http_types.h"
#include "dashboard/json_views.h"

namespace farm::dashboard {

// One Server-Sent Event; `data` is one line of JSON.
std::string SseEvent(absl::string_view event, const Json& data,
                     int64_t id = -1);

// What changed in the builds list since the last call: {"changed": rows,
// "removed": ids, "reset": first call}; null when nothing did.
class BuildsFeed {
 public:
  Json Next(const Json& rows);

 private:
  bool first_ = true;
  std::map<std::string, std::string> sent_;  // id → row as sent
};

struct StreamTimings {
  absl::Duration feed_period = absl::Milliseconds(500);
  absl::Duration workers_period = absl::Seconds(2);
  absl::Duration keepalive = absl::Seconds(15);
};

class EventStreams {
 public:
  // `stopping` ends every stream when notified (the server's shutdown).
  EventStreams(DashboardDeps deps, const absl::Notification* stopping,
               StreamTimings timings = {})
      : deps_(deps), stopping_(stopping), timings_(timings) {}

  // The events of `build` after sequence `after`, then "build-end".
  void Build(BuildHandle& build, int64_t after, const StreamWriter& write);
  // The live feed of what `caller` may see.
  void Feed(const auth::Identity& caller, const StreamWriter& write);

 private:
  Json VisibleRows(const auth::Identity& caller);

  DashboardDeps deps_;
  const absl::Notification* stopping_;
  const StreamTimings timings_;
};

}  // namespace farm::dashboard

#endif  // FARM_DASHBOARD_EVENT_STREAMS_H_
