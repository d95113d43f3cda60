#include "client/farm_commands.h"

#include <iostream>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "client/command_line.h"
#include "client/farm_call.h"
#include "client/human_format.h"
#include "client/image_inspect.h"
#include "google/protobuf/util/json_util.h"
#include "proto/build.grpc.pb.h"
#include "proto/cache.grpc.pb.h"
#include "proto/worker.grpc.pb.h"

namespace farm::client {

namespace {

int Fail(const absl::Status& status) {
  std::cerr << "Error: " << status.message() << "\n";
  return 1;
}

std::string Ago(int64_t unix_nanos) {
  if (unix_nanos == 0) return "-";
  return HumanDuration(absl::Now() - absl::FromUnixNanos(unix_nanos)) + " ago";
}

// The STATE column of `farm workers`.
std::string WorkerState(const proto::WorkerSummary& worker) {
  if (worker.draining()) return "draining";
  if (worker.disk_full()) {
    return absl::StrCat("disk full (", HumanSize(worker.disk_free_bytes()),
                        " free)");
  }
  return "ready";
}

// The PLATFORMS column: "linux/amd64, linux/arm64 (emulated)".
std::string WorkerPlatforms(const proto::WorkerSummary& worker) {
  std::vector<std::string> parts(worker.native_platforms().begin(),
                                 worker.native_platforms().end());
  for (const std::string& p : worker.emulated_platforms()) {
    parts.push_back(absl::StrCat(p, " (emulated)"));
  }
  return parts.empty() ? "linux/amd64" : absl::StrJoin(parts, ", ");
}

}  // namespace

int RunCacheCommand(const std::vector<std::string>& args,
                    const FarmEndpoint& endpoint) {
  constexpr char kUsage[] =
      "usage: farm cache stats | farm cache prune [--keep-bytes N]\n";
  FlagSpec spec;
  spec.with_value = {"keep-bytes"};
  absl::StatusOr<CommandLine> cli = CommandLine::Parse(args, spec);
  if (!cli.ok() || cli->positional().size() != 1) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string& verb = cli->positional()[0];
  if (verb == "stats") {
    proto::CacheStats stats;
    absl::Status status = CallFarm<proto::CacheService>(
        endpoint, &proto::CacheService::Stub::Stats, proto::CacheStatsRequest(),
        &stats);
    if (!status.ok()) return Fail(status);
    std::cout << FormatTable({
        {"blobs", absl::StrCat(stats.blob_count())},
        {"bytes", absl::StrCat(HumanSize(stats.blob_bytes()), " (",
                               stats.blob_bytes(), ")")},
        {"budget",
         stats.max_bytes() == 0 ? "none" : HumanSize(stats.max_bytes())},
        {"action entries", absl::StrCat(stats.action_entries())},
        {"blob hits / misses",
         absl::StrCat(stats.blob_hits(), " / ", stats.blob_misses())},
        {"action hits / misses",
         absl::StrCat(stats.action_hits(), " / ", stats.action_misses())},
        {"evictions", absl::StrCat(stats.evictions(), " (",
                                   HumanSize(stats.evicted_bytes()), ")")},
        {"corrupt blobs removed", absl::StrCat(stats.corrupt_blobs())},
        {"action writes dropped", absl::StrCat(stats.action_conflicts())},
    });
    return 0;
  }
  if (verb == "prune") {
    int64_t keep = 0;
    if (cli->Has("keep-bytes") &&
        !absl::SimpleAtoi(cli->Get("keep-bytes"), &keep)) {
      std::cerr << "farm cache prune: --keep-bytes wants a number\n";
      return 2;
    }
    proto::PruneRequest request;
    request.set_target_bytes(keep);
    proto::PruneResponse response;
    absl::Status status = CallFarm<proto::CacheService>(
        endpoint, &proto::CacheService::Stub::Prune, request, &response);
    if (!status.ok()) return Fail(status);
    std::cout << "Removed " << response.blobs_removed() << " blobs and "
              << response.actions_removed() << " cache entries\n"
              << "Total reclaimed space: "
              << HumanSize(response.bytes_removed()) << "\n";
    return 0;
  }
  std::cerr << kUsage;
  return 2;
}

int RunWorkersCommand(const std::vector<std::string>& args,
                      const FarmEndpoint& endpoint) {
  // farm workers drain ID...: each finishes its jobs and leaves (admin).
  if (!args.empty() && args[0] == "drain") {
    if (args.size() < 2) {
      std::cerr << "usage: farm workers drain WORKER...\n";
      return 2;
    }
    for (size_t i = 1; i < args.size(); ++i) {
      proto::DrainWorkerRequest request;
      request.set_worker_id(args[i]);
      proto::DrainWorkerResponse response;
      absl::Status status = CallFarm<proto::WorkerService>(
          endpoint, &proto::WorkerService::Stub::DrainWorker, request,
          &response);
      if (!status.ok()) return Fail(status);
      std::cout << "draining " << args[i] << "\n";
    }
    return 0;
  }
  if (!args.empty()) {
    std::cerr << "usage: farm workers [drain WORKER...]\n";
    return 2;
  }
  proto::ListWorkersResponse response;
  absl::Status status = CallFarm<proto::WorkerService>(
      endpoint, &proto::WorkerService::Stub::ListWorkers,
      proto::ListWorkersRequest(), &response);
  if (!status.ok()) return Fail(status);
  std::vector<std::vector<std::string>> rows = {{"WORKER", "SLOTS", "RUNNING",
                                                 "CACHED", "LAST HEARTBEAT",
                                                 "STATE", "PLATFORMS"}};
  for (const auto& worker : response.workers()) {
    rows.push_back({worker.worker_id(), absl::StrCat(worker.slots()),
                    absl::StrCat(worker.running_jobs()),
                    HumanSize(worker.cached_bytes()),
                    Ago(worker.last_heartbeat_unix_nanos()),
                    WorkerState(worker), WorkerPlatforms(worker)});
  }
  std::cout << FormatTable(rows);
  return 0;
}

int RunBuildsCommand(const std::vector<std::string>& args,
                     const FarmEndpoint& endpoint) {
  proto::ListBuildsResponse response;
  absl::Status status = CallFarm<proto::BuildService>(
      endpoint, &proto::BuildService::Stub::ListBuilds,
      proto::ListBuildsRequest(), &response);
  if (!status.ok()) return Fail(status);
  // An admin's listing spans tenants: then say whose each build is.
  std::set<std::string> tenants;
  for (const auto& build : response.builds()) tenants.insert(build.tenant());
  const bool by_tenant = tenants.size() > 1;
  std::vector<std::vector<std::string>> rows = {
      {"BUILD", "STATE", "STARTED", "STAGES", "JOBS", "TAGS", "CLIENT"}};
  if (by_tenant) rows[0].push_back("TENANT");
  for (const auto& build : response.builds()) {
    std::vector<std::string> tags;
    for (const auto& tag : build.tags()) tags.push_back(FamiliarTag(tag));
    rows.push_back(
        {build.build_id(), build.state(), Ago(build.started_unix_nanos()),
         absl::StrCat(build.stages()), absl::StrCat(build.jobs_dispatched()),
         tags.empty() ? "-" : absl::StrJoin(tags, ","),
         build.client().empty() ? "-" : build.client()});
    if (by_tenant) rows.back().push_back(build.tenant());
  }
  std::cout << FormatTable(rows);
  return 0;
}

int RunStatsCommand(const std::vector<std::string>& args,
                    const FarmEndpoint& endpoint) {
  proto::SchedulerStats stats;
  absl::Status status = CallFarm<proto::WorkerService>(
      endpoint, &proto::WorkerService::Stub::Stats,
      proto::SchedulerStatsRequest(), &stats);
  if (!status.ok()) return Fail(status);
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(stats, &json, options)
           .ok()) {
    return Fail(absl::InternalError("could not print the stats"));
  }
  std::cout << json;
  return 0;
}

}  // namespace farm::client
