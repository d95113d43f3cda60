#include "client/progress/json_printer.h"

#include "nlohmann/json.hpp"

namespace farm::client::progress {

namespace {

using Json = nlohmann::ordered_json;

std::string Line(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace

void JsonPrinter::OnAccepted(const std::string& build_id) {
  absl::MutexLock lock(&mu_);
  if (finished_) return;
  out_ << Line({{"type", "accepted"}, {"build_id", build_id}}) << std::flush;
}

void JsonPrinter::OnDashboard(const std::string& url) {
  absl::MutexLock lock(&mu_);
  if (finished_) return;
  out_ << Line({{"type", "dashboard"}, {"url", url}}) << std::flush;
}

void JsonPrinter::OnEvent(const proto::BuildEvent& event) {
  Json json = {{"type", "event"},
               {"sequence", event.sequence()},
               {"kind", proto::BuildEvent::Kind_Name(event.kind())},
               {"step", event.step()}};
  if (event.instruction_count() > 0 || !event.stage_name().empty()) {
    json["stage_index"] = event.stage_index();
    json["stage_name"] = event.stage_name();
  }
  if (event.instruction_count() > 0) {
    json["instruction_index"] = event.instruction_index();
    json["instruction_count"] = event.instruction_count();
  }
  if (!event.platform().empty()) json["platform"] = event.platform();
  json["text"] = event.text();
  if (event.stream() != 0) json["stream"] = event.stream();
  if (!event.worker().empty()) json["worker"] = event.worker();
  if (event.duration_nanos() != 0) {
    json["duration_nanos"] = event.duration_nanos();
  }
  if (event.timestamp_unix_nanos() != 0) {
    json["timestamp_unix_nanos"] = event.timestamp_unix_nanos();
  }
  absl::MutexLock lock(&mu_);
  if (finished_) return;
  out_ << Line(json) << std::flush;
}

void JsonPrinter::OnResult(const proto::BuildResult& result) {
  Json json = {{"type", "result"}, {"ok", result.ok()}};
  if (!result.ok()) {
    json["error_code"] = result.error_code();
    json["error"] = result.error();
  }
  if (!result.image_id().empty()) json["image_id"] = result.image_id();
  if (!result.manifest_digest().empty()) {
    json["manifest_digest"] = result.manifest_digest();
  }
  json["tags"] = Json::array();
  for (const std::string& tag : result.tags()) json["tags"].push_back(tag);
  json["uploaded_bytes"] = result.uploaded_bytes();
  json["jobs_dispatched"] = result.jobs_dispatched();
  json["warnings"] = Json::array();
  for (const std::string& w : result.warnings()) json["warnings"].push_back(w);
  if (result.platform_images_size() > 0) {
    json["platform_images"] = Json::array();
    for (const proto::PlatformImage& image : result.platform_images()) {
      json["platform_images"].push_back(
          {{"platform", image.platform()},
           {"image_id", image.image_id()},
           {"manifest_digest", image.manifest_digest()}});
    }
  }
  absl::MutexLock lock(&mu_);
  if (finished_) return;
  finished_ = true;
  out_ << Line(json) << std::flush;
}

}  // namespace farm::client::progress
