#include "scheduler/dashboard_view.h"

#include "scheduler/service/build_service.h"

namespace farm::scheduler {

namespace {

class SessionHandle : public dashboard::BuildHandle {
 public:
  explicit SessionHandle(std::shared_ptr<BuildSession> session)
      : session_(std::move(session)) {}

  proto::BuildSummary Summary() override { return session_->Summary(); }
  BuildOutline Outline() override { return session_->Outline(); }
  EventPage EventsAfter(int64_t after, size_t limit,
                        absl::Duration wait) override {
    return session_->EventsAfter(after, limit, wait);
  }
  void Cancel(const std::string& reason) override { session_->Cancel(reason); }

 private:
  std::shared_ptr<BuildSession> session_;
};

}  // namespace

std::vector<proto::BuildSummary> SchedulerDashboardView::Builds() {
  std::vector<proto::BuildSummary> out;
  for (const auto& session : node_->build_service()->Sessions()) {
    out.push_back(session->Summary());
  }
  return out;
}

std::shared_ptr<dashboard::BuildHandle> SchedulerDashboardView::FindBuild(
    const std::string& id) {
  std::shared_ptr<BuildSession> session =
      node_->build_service()->FindSession(id);
  if (session == nullptr) return nullptr;
  return std::make_shared<SessionHandle>(std::move(session));
}

dashboard::WorkersReport SchedulerDashboardView::Workers() {
  dashboard::WorkersReport report;
  report.workers = node_->core()->ListWorkers();
  CoreSnapshot snapshot = node_->core()->Snapshot();
  report.jobs_queued = snapshot.jobs_queued;
  report.jobs_running = snapshot.jobs_running;
  return report;
}

absl::StatusOr<cache::CacheStats> SchedulerDashboardView::CacheStats() {
  return node_->cache_admin()->Stats();
}

std::vector<dashboard::StoredImage> SchedulerDashboardView::Images() {
  std::vector<dashboard::StoredImage> out;
  ImageStores* stores = node_->image_stores();
  for (const std::string& tenant : stores->Tenants()) {
    absl::StatusOr<std::vector<ImageInfo>> images =
        stores->ForTenant(tenant)->List(/*all=*/true);
    if (!images.ok()) continue;  // a damaged store shows in `farm images`
    for (const ImageInfo& info : *images) {
      dashboard::StoredImage image;
      image.tenant = tenant;
      image.tags = info.tags;
      image.id = info.record.config_digest;
      for (const auto& layer : info.manifest.layers) {
        image.layers.emplace_back(layer.digest.ToString(), layer.size);
      }
      out.push_back(std::move(image));
    }
  }
  return out;
}

}  // namespace farm::scheduler
