#include "dashboard/testing/fake_farm.h"

#include <algorithm>

namespace farm::dashboard::testing {

FakeBuild::FakeBuild(std::string id, std::string tenant) {
  summary_.set_build_id(std::move(id));
  summary_.set_tenant(std::move(tenant));
  summary_.set_state("running");
  summary_.set_started_unix_nanos(int64_t{1700000000000} * 1000000);
}

proto::BuildSummary FakeBuild::Summary() {
  absl::MutexLock lock(&mu_);
  return summary_;
}

scheduler::BuildOutline FakeBuild::Outline() {
  absl::MutexLock lock(&mu_);
  return outline_;
}

scheduler::EventPage FakeBuild::EventsAfter(int64_t after, size_t limit,
                                            absl::Duration wait) {
  absl::MutexLock lock(&mu_);
  auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return static_cast<int64_t>(events_.size()) > after ||
           summary_.state() != "running";
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), wait);
  scheduler::EventPage page;
  size_t next = static_cast<size_t>(std::max<int64_t>(0, after));
  for (; next < events_.size() && page.events.size() < limit; ++next) {
    page.events.push_back(events_[next]);
  }
  page.last_sequence = static_cast<int64_t>(next);
  page.done = summary_.state() != "running" && next >= events_.size();
  return page;
}

void FakeBuild::Cancel(const std::string& reason) {
  absl::MutexLock lock(&mu_);
  cancels_.push_back(reason);
}

void FakeBuild::AddEvent(proto::BuildEvent event) {
  absl::MutexLock lock(&mu_);
  event.set_sequence(static_cast<int64_t>(events_.size()) + 1);
  events_.push_back(std::move(event));
}

void FakeBuild::Finish(const std::string& state, const std::string& error) {
  absl::MutexLock lock(&mu_);
  summary_.set_state(state);
  summary_.set_error(error);
  summary_.set_finished_unix_nanos(int64_t{1700000005000} * 1000000);
}

void FakeBuild::SetOutline(scheduler::BuildOutline outline) {
  absl::MutexLock lock(&mu_);
  outline_ = std::move(outline);
}

std::vector<std::string> FakeBuild::cancels() {
  absl::MutexLock lock(&mu_);
  return cancels_;
}

std::vector<proto::BuildSummary> FakeFarm::Builds() {
  absl::MutexLock lock(&mu_);
  std::vector<proto::BuildSummary> out;
  for (const auto& build : builds_) out.push_back(build->Summary());
  return out;
}

std::shared_ptr<BuildHandle> FakeFarm::FindBuild(const std::string& id) {
  absl::MutexLock lock(&mu_);
  for (const auto& build : builds_) {
    if (build->Summary().build_id() == id) return build;
  }
  return nullptr;
}

WorkersReport FakeFarm::Workers() {
  absl::MutexLock lock(&mu_);
  return workers_;
}

absl::StatusOr<cache::CacheStats> FakeFarm::CacheStats() {
  absl::MutexLock lock(&mu_);
  return cache_;
}

std::vector<StoredImage> FakeFarm::Images() {
  absl::MutexLock lock(&mu_);
  return images_;
}

std::shared_ptr<FakeBuild> FakeFarm::AddBuild(const std::string& id,
                                              const std::string& tenant) {
  auto build = std::make_shared<FakeBuild>(id, tenant);
  absl::MutexLock lock(&mu_);
  builds_.push_back(build);
  return build;
}

void FakeFarm::RemoveBuild(const std::string& id) {
  absl::MutexLock lock(&mu_);
  builds_.erase(std::remove_if(builds_.begin(), builds_.end(),
                               [&](const std::shared_ptr<FakeBuild>& build) {
                                 return build->Summary().build_id() == id;
                               }),
                builds_.end());
}

void FakeFarm::SetWorkers(WorkersReport report) {
  absl::MutexLock lock(&mu_);
  workers_ = std::move(report);
}

void FakeFarm::SetCache(cache::CacheStats stats,
                        std::vector<StoredImage> images) {
  absl::MutexLock lock(&mu_);
  cache_ = stats;
  images_ = std::move(images);
}

}  // namespace farm::dashboard::testing
