#include "dashboard/json_views.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"

namespace farm::dashboard {

namespace {

int64_t NanosToMillis(int64_t nanos) { return nanos / 1000000; }

const char* KindName(proto::BuildEvent::Kind kind) {
  switch (kind) {
    case proto::BuildEvent::STEP_STARTED:
      return "started";
    case proto::BuildEvent::STEP_CACHED:
      return "cached";
    case proto::BuildEvent::STEP_LOG:
      return "log";
    case proto::BuildEvent::STEP_DONE:
      return "done";
    case proto::BuildEvent::STEP_ERROR:
      return "error";
    case proto::BuildEvent::WARNING:
      return "warning";
    default:
      return "info";
  }
}

Json StageJson(const proto::PlannedStage& stage,
               const StageProgress& progress) {
  Json instructions = Json::array();
  for (int i = 0; i < stage.instructions_size(); ++i) {
    const proto::PlannedInstruction& in = stage.instructions(i);
    // Numbered as the events number steps: 0 is the FROM.
    instructions.push_back(
        {{"index", i + 1},
         {"line", in.line()},
         {"text", in.original().empty() ? in.text() : in.original()}});
  }
  return {{"index", stage.index()},
          {"name", stage.name()},
          {"display",
           stage.name().empty() ? absl::StrCat(stage.index()) : stage.name()},
          {"base", stage.base()},
          {"depends_on", Json(std::vector<int>(stage.depends_on().begin(),
                                               stage.depends_on().end()))},
          {"from_line", stage.from_line()},
          {"instructions", std::move(instructions)},
          {"state", progress.state},
          {"worker", progress.worker},
          {"started_ms", progress.started_ms},
          {"finished_ms", progress.finished_ms}};
}

Json JobJson(const JobSpan& job) {
  Json steps = Json::array();
  for (const StepSpan& step : job.steps) {
    steps.push_back({{"instruction", step.instruction},
                     {"text", step.text},
                     {"start_ms", step.start_ms},
                     {"end_ms", step.end_ms},
                     {"state", step.state}});
  }
  return {{"platform", job.platform},
          {"stage", job.stage},
          {"stage_name", job.stage_name},
          {"worker", job.worker},
          {"lane", job.lane},
          {"start_ms", job.start_ms},
          {"end_ms", job.end_ms},
          {"state", job.state},
          {"steps", std::move(steps)}};
}

Json WorkerJson(const proto::WorkerSummary& worker, const std::string& state,
                const FarmHistory& history) {
  Json load = Json::array();
  for (const LoadSample& sample : history.LoadOf(worker.worker_id())) {
    load.push_back({{"t_ms", sample.t_ms}, {"running", sample.running}});
  }
  return {
      {"id", worker.worker_id()},
      {"slots", worker.slots()},
      {"running_jobs", worker.running_jobs()},
      {"native_platforms",
       Json(std::vector<std::string>(worker.native_platforms().begin(),
                                     worker.native_platforms().end()))},
      {"emulated_platforms",
       Json(std::vector<std::string>(worker.emulated_platforms().begin(),
                                     worker.emulated_platforms().end()))},
      {"cached_bytes", worker.cached_bytes()},
      {"disk_free_bytes", worker.disk_free_bytes()},
      {"last_heartbeat_ms", NanosToMillis(worker.last_heartbeat_unix_nanos())},
      {"state", state},
      {"jobs_completed", worker.jobs_completed()},
      {"load", std::move(load)}};
}

}  // namespace

Json BuildRowJson(const proto::BuildSummary& summary, absl::Time now) {
  const int64_t started = NanosToMillis(summary.started_unix_nanos());
  const int64_t finished = NanosToMillis(summary.finished_unix_nanos());
  const int64_t end = finished != 0 ? finished : absl::ToUnixMillis(now);
  Json ratio = nullptr;
  if (summary.steps() > 0) {
    ratio = static_cast<double>(summary.steps_cached()) / summary.steps();
  }
  return {{"id", summary.build_id()},
          {"tenant", summary.tenant()},
          {"client", summary.client()},
          {"target", summary.target()},
          {"tags", Json(std::vector<std::string>(summary.tags().begin(),
                                                 summary.tags().end()))},
          {"state", summary.state()},
          {"started_ms", started},
          {"finished_ms", finished},
          {"duration_ms", std::max<int64_t>(0, end - started)},
          {"stages", summary.stages()},
          {"jobs_dispatched", summary.jobs_dispatched()},
          {"steps", summary.steps()},
          {"steps_cached", summary.steps_cached()},
          {"cache_hit_ratio", ratio},
          {"error", summary.error()}};
}

Json EventJson(const proto::BuildEvent& event) {
  return {{"seq", event.sequence()},
          {"kind", KindName(event.kind())},
          {"step", event.step()},
          {"stage", event.stage_index()},
          {"stage_name", event.stage_name()},
          {"instruction", event.instruction_index()},
          {"instruction_count", event.instruction_count()},
          {"text", event.text()},
          {"stream", event.stream()},
          {"worker", event.worker()},
          {"duration_ms", NanosToMillis(event.duration_nanos())},
          {"time_ms", NanosToMillis(event.timestamp_unix_nanos())},
          {"platform", event.platform()}};
}

Json BuildDetailJson(const proto::BuildSummary& summary,
                     const scheduler::BuildOutline& outline,
                     const std::vector<proto::BuildEvent>& events,
                     int64_t last_sequence, absl::Time now) {
  const BuildProgress progress = TraceProgress(summary, outline, events);
  Json platforms = Json::array();
  for (const scheduler::PlatformGraph& graph : outline.graphs) {
    Json stages = Json::array();
    for (const proto::PlannedStage& stage : graph.graph.stages()) {
      stages.push_back(StageJson(
          stage, progress.stages.at({graph.platform, stage.index()})));
    }
    platforms.push_back({{"platform", graph.platform},
                         {"target_stage", graph.graph.target_index()},
                         {"stages", std::move(stages)}});
  }
  Json jobs = Json::array();
  for (const JobSpan& job : progress.jobs) jobs.push_back(JobJson(job));
  Json lanes = Json::array();
  for (const auto& [worker, count] : progress.lanes) {
    lanes.push_back({{"worker", worker}, {"lanes", count}});
  }
  Json failure = nullptr;
  if (progress.failure.has_value()) {
    failure = {{"platform", progress.failure->platform},
               {"stage", progress.failure->stage},
               {"instruction", progress.failure->instruction},
               {"line", progress.failure->line},
               {"message", progress.failure->message}};
  }
  return {{"build", BuildRowJson(summary, now)},
          {"dockerfile",
           {{"name", outline.dockerfile_name}, {"text", outline.dockerfile}}},
          {"context",
           {{"uploaded_bytes", summary.uploaded_bytes()},
            {"skipped_bytes", summary.skipped_bytes()}}},
          {"platforms", std::move(platforms)},
          {"jobs", std::move(jobs)},
          {"lanes", std::move(lanes)},
          {"failure", std::move(failure)},
          {"last_sequence", last_sequence}};
}

Json WorkersJson(const WorkersReport& report, const FarmHistory& history) {
  Json workers = Json::array();
  for (const proto::WorkerSummary& worker : report.workers.workers()) {
    const char* state = worker.draining()    ? "draining"
                        : worker.disk_full() ? "disk-full"
                                             : "ready";
    workers.push_back(WorkerJson(worker, state, history));
  }
  for (const LostWorker& lost : history.Lost()) {
    workers.push_back(WorkerJson(lost.last_seen, "lost", history));
  }
  return {{"workers", std::move(workers)},
          {"jobs_queued", report.jobs_queued},
          {"jobs_running", report.jobs_running}};
}

Json CacheJson(const cache::CacheStats& stats, const FarmHistory& history,
               const std::vector<StoredImage>& images, size_t top) {
  Json history_json = Json::array();
  for (const CacheSample& sample : history.Cache()) {
    history_json.push_back(
        {{"t_ms", sample.t_ms},
         {"blob_bytes", sample.blob_bytes},
         {"hit_ratio", sample.hit_ratio.has_value() ? Json(*sample.hit_ratio)
                                                    : Json(nullptr)}});
  }
  // Each layer once, with every image that keeps it.
  std::map<std::string, std::pair<int64_t, std::set<std::string>>> layers;
  Json images_json = Json::array();
  for (const StoredImage& image : images) {
    int64_t bytes = 0;
    const std::string name = absl::StrCat(
        image.tenant, "/",
        image.tags.empty() ? image.id.substr(0, 19) : image.tags.front());
    for (const auto& [digest, size] : image.layers) {
      bytes += size;
      auto& entry = layers[digest];
      entry.first = size;
      entry.second.insert(name);
    }
    images_json.push_back({{"tenant", image.tenant},
                           {"tags", image.tags},
                           {"id", image.id},
                           {"layers", image.layers.size()},
                           {"bytes", bytes}});
  }
  std::vector<std::pair<std::string, int64_t>> by_size;
  for (const auto& [digest, entry] : layers) {
    by_size.emplace_back(digest, entry.first);
  }
  std::sort(by_size.begin(), by_size.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (by_size.size() > top) by_size.resize(top);
  Json biggest = Json::array();
  for (const auto& [digest, size] : by_size) {
    const std::set<std::string>& names = layers[digest].second;
    biggest.push_back(
        {{"digest", digest},
         {"bytes", size},
         {"images", std::vector<std::string>(names.begin(), names.end())}});
  }
  return {{"stats",
           {{"blob_count", stats.blob_count},
            {"blob_bytes", stats.blob_bytes},
            {"max_bytes", stats.max_bytes},
            {"blob_hits", stats.blob_hits},
            {"blob_misses", stats.blob_misses},
            {"evictions", stats.evictions},
            {"evicted_bytes", stats.evicted_bytes},
            {"action_entries", stats.action_entries},
            {"action_hits", stats.action_hits},
            {"action_misses", stats.action_misses},
            {"bytes_written", stats.bytes_written},
            {"bytes_read", stats.bytes_read}}},
          {"history", std::move(history_json)},
          {"biggest_layers", std::move(biggest)},
          {"images", std::move(images_json)}};
}

}  // namespace farm::dashboard
