// SchedulerMetrics: the scheduler's Prometheus series. The queue, the
// worker pool and the counters are read from SchedulerCore::Snapshot() at
// each scrape; build and stage durations are recorded as the core reports
// them (SchedulerObserver). docs/deploy.md lists every series.
#ifndef FARM_SCHEDULER_SCHEDULER_METRICS_H_
#define FARM_SCHEDULER_SCHEDULER_METRICS_H_

#include <memory>
#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "scheduler/scheduler_core.h"
#include "scheduler/scheduler_observer.h"

namespace farm::scheduler {

// Thread-safe.
class SchedulerMetrics : public prometheus::Collectable,
                         public SchedulerObserver {
 public:
  // Observes `core` until destroyed; `core` must outlive it.
  explicit SchedulerMetrics(SchedulerCore* core);
  ~SchedulerMetrics() override;
  SchedulerMetrics(const SchedulerMetrics&) = delete;
  SchedulerMetrics& operator=(const SchedulerMetrics&) = delete;

  std::vector<prometheus::MetricFamily> Collect() const override;

  // SchedulerObserver.
  void BuildFinished(const BuildEnd& build) override;
  void StageFinished(bool ok, absl::Duration took) override;

 private:
  SchedulerCore* core_;
  std::shared_ptr<prometheus::Registry> durations_;
  prometheus::Family<prometheus::Histogram>& build_seconds_;
  prometheus::Family<prometheus::Histogram>& stage_seconds_;
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_SCHEDULER_METRICS_H_
