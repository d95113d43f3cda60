#include "dashboard/event_streams.h"

#include "absl/strings/str_cat.h"

namespace farm::dashboard {

namespace {

std::string Dump(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

std::string SseEvent(absl::string_view event, const Json& data, int64_t id) {
  std::string out;
  if (id >= 0) absl::StrAppend(&out, "id: ", id, "\n");
  absl::StrAppend(&out, "event: ", event, "\ndata: ", Dump(data), "\n\n");
  return out;
}

Json BuildsFeed::Next(const Json& rows) {
  std::map<std::string, std::string> now;
  Json changed = Json::array();
  for (const Json& row : rows) {
    std::string id = row["id"].get<std::string>();
    std::string text = Dump(row);
    auto it = sent_.find(id);
    if (it == sent_.end() || it->second != text) changed.push_back(row);
    now.emplace(std::move(id), std::move(text));
  }
  Json removed = Json::array();
  for (const auto& [id, text] : sent_) {
    if (now.count(id) == 0) removed.push_back(id);
  }
  sent_ = std::move(now);
  const bool reset = first_;
  first_ = false;
  if (!reset && changed.empty() && removed.empty()) return nullptr;
  return {{"changed", std::move(changed)},
          {"removed", std::move(removed)},
          {"reset", reset}};
}

void EventStreams::Build(BuildHandle& build, int64_t after,
                         const StreamWriter& write) {
  absl::Time last_write = deps_.clock->Now();
  while (!stopping_->HasBeenNotified()) {
    scheduler::EventPage page =
        build.EventsAfter(after, 1000, absl::Milliseconds(500));
    std::string out;
    for (const proto::BuildEvent& event : page.events) {
      out += SseEvent("build-event", EventJson(event), event.sequence());
    }
    after = page.last_sequence;
    if (page.done) {
      out += SseEvent(
          "build-end",
          {{"build", BuildRowJson(build.Summary(), deps_.clock->Now())}});
    } else if (out.empty() &&
               deps_.clock->Now() - last_write >= timings_.keepalive) {
      out = ": keepalive\n\n";  // finds a browser that has gone
    }
    if (!out.empty()) {
      if (!write(out)) return;
      last_write = deps_.clock->Now();
    }
    if (page.done) return;
  }
}

Json EventStreams::VisibleRows(const auth::Identity& caller) {
  const absl::Time now = deps_.clock->Now();
  std::vector<proto::BuildSummary> builds = deps_.farm->Builds();
  Json rows = Json::array();
  for (auto it = builds.rbegin(); it != builds.rend(); ++it) {
    if (caller.role == auth::Role::kAdmin || it->tenant() == caller.tenant) {
      rows.push_back(BuildRowJson(*it, now));
    }
  }
  return rows;
}

void EventStreams::Feed(const auth::Identity& caller,
                        const StreamWriter& write) {
  BuildsFeed feed;
  absl::Time workers_sent = absl::InfinitePast();
  absl::Time last_write = deps_.clock->Now();
  do {
    std::string out;
    Json change = feed.Next(VisibleRows(caller));
    if (!change.is_null()) out += SseEvent("builds", change);
    const absl::Time now = deps_.clock->Now();
    if (now - workers_sent >= timings_.workers_period) {
      out += SseEvent("workers",
                      WorkersJson(deps_.farm->Workers(), *deps_.history));
      workers_sent = now;
    }
    if (out.empty() && now - last_write >= timings_.keepalive) {
      out = ": keepalive\n\n";
    }
    if (!out.empty()) {
      if (!write(out)) return;
      last_write = now;
    }
  } while (!stopping_->WaitForNotificationWithTimeout(timings_.feed_period));
}

}  // namespace farm::dashboard
