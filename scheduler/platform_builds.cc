#include "scheduler/platform_builds.h"

namespace farm::scheduler {

namespace {

// Stage numbers of one platform; a plan with more stages is refused.
constexpr int kStagesPerPlatform = 1 << 16;

}  // namespace

absl::Status PlatformBuilds::Add(std::string platform, BuildSpec spec) {
  if (spec.plan.graph.stages_size() >= kStagesPerPlatform) {
    return absl::InvalidArgumentError(
        "a Dockerfile may have at most 65535 stages");
  }
  Entry entry;
  entry.platform = std::move(platform);
  entry.coordinator = std::make_unique<BuildCoordinator>(std::move(spec));
  entries_.push_back(std::move(entry));
  return absl::OkStatus();
}

int PlatformBuilds::JobStage(size_t platform, int stage) {
  return static_cast<int>(platform) * kStagesPerPlatform + stage;
}

std::pair<size_t, int> PlatformBuilds::Split(int job_stage) {
  return {static_cast<size_t>(job_stage / kStagesPerPlatform),
          job_stage % kStagesPerPlatform};
}

bool PlatformBuilds::all_done() const {
  for (const Entry& entry : entries_) {
    if (!entry.done) return false;
  }
  return true;
}

absl::Status PlatformBuilds::status() const {
  // A platform cancelled because another failed reports the failure.
  for (const Entry& entry : entries_) {
    if (!entry.status.ok() && !absl::IsCancelled(entry.status)) {
      return entry.status;
    }
  }
  for (const Entry& entry : entries_) {
    if (!entry.status.ok()) return entry.status;
  }
  return absl::OkStatus();
}

bool PlatformBuilds::fully_cached() const {
  for (const Entry& entry : entries_) {
    if (!entry.fully_cached) return false;
  }
  return true;
}

}  // namespace farm::scheduler
