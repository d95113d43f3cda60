// SchedulerDashboardView: the dashboard's FarmView over a FarmNode: its
// build sessions, the core's workers, the cache's admin view and every
// tenant's image store.
#ifndef FARM_SCHEDULER_DASHBOARD_VIEW_H_
#define FARM_SCHEDULER_DASHBOARD_VIEW_H_

#include <memory>
#include <string>
#include <vector>

#include "dashboard/farm_view.h"
#include "scheduler/farm_node.h"

namespace farm::scheduler {

class SchedulerDashboardView : public dashboard::FarmView {
 public:
  // `node` must outlive the view.
  explicit SchedulerDashboardView(FarmNode* node) : node_(node) {}

  std::vector<proto::BuildSummary> Builds() override;
  std::shared_ptr<dashboard::BuildHandle> FindBuild(
      const std::string& id) override;
  dashboard::WorkersReport Workers() override;
  absl::StatusOr<cache::CacheStats> CacheStats() override;
  std::vector<dashboard::StoredImage> Images() override;

 private:
  FarmNode* node_;
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_DASHBOARD_VIEW_H_
