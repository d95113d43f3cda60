// FakeFarm: a FarmView whose builds, workers, cache and images a test sets
// directly, for the dashboard's route and stream tests.
#ifndef FARM_DASHBOARD_TESTING_FAKE_FARM_H_
#define FARM_DASHBOARD_TESTING_FAKE_FARM_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "dashboard/farm_view.h"

namespace farm::dashboard::testing {

class FakeBuild : public BuildHandle {
 public:
  FakeBuild(std::string id, std::string tenant);

  proto::BuildSummary Summary() override;
  scheduler::BuildOutline Outline() override;
  // Sequence numbers are positions from 1, as a session's are.
  scheduler::EventPage EventsAfter(int64_t after, size_t limit,
                                   absl::Duration wait) override;
  void Cancel(const std::string& reason) override;

  // Test controls.
  void AddEvent(proto::BuildEvent event);
  void Finish(const std::string& state, const std::string& error = "");
  void SetOutline(scheduler::BuildOutline outline);
  std::vector<std::string> cancels();

 private:
  absl::Mutex mu_;
  proto::BuildSummary summary_ ABSL_GUARDED_BY(mu_);
  scheduler::BuildOutline outline_ ABSL_GUARDED_BY(mu_);
  std::vector<proto::BuildEvent> events_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> cancels_ ABSL_GUARDED_BY(mu_);
};

class FakeFarm : public FarmView {
 public:
  std::vector<proto::BuildSummary> Builds() override;
  std::shared_ptr<BuildHandle> FindBuild(const std::string& id) override;
  WorkersReport Workers() override;
  absl::StatusOr<cache::CacheStats> CacheStats() override;
  std::vector<StoredImage> Images() override;

  std::shared_ptr<FakeBuild> AddBuild(const std::string& id,
                                      const std::string& tenant);
  void RemoveBuild(const std::string& id);
  void SetWorkers(WorkersReport report);
  void SetCache(cache::CacheStats stats, std::vector<StoredImage> images);

 private:
  absl::Mutex mu_;
  std::vector<std::shared_ptr<FakeBuild>> builds_ ABSL_GUARDED_BY(mu_);
  WorkersReport workers_ ABSL_GUARDED_BY(mu_);
  cache::CacheStats cache_ ABSL_GUARDED_BY(mu_);
  std::vector<StoredImage> images_ ABSL_GUARDED_BY(mu_);
};

}  // namespace farm::dashboard::testing

#endif  // FARM_DASHBOARD_TESTING_FAKE_FARM_H_
