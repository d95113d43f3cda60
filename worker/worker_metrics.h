// WorkerMetrics: farm-worker's Prometheus series. Its slots and snapshot
// store are read from the worker at each scrape (WorkerLoad); the jobs it
// runs are counted and timed by result as they end, by a JobRunner
// decorator that Wrap() returns. docs/deploy.md lists every series.
#ifndef FARM_WORKER_WORKER_METRICS_H_
#define FARM_WORKER_WORKER_METRICS_H_

#include <functional>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "worker/job_runner.h"
#include "worker/worker_load.h"

namespace farm::worker {

// Thread-safe.
class WorkerMetrics : public prometheus::Collectable {
 public:
  // `clock` times the jobs and must outlive this.
  explicit WorkerMetrics(const Clock* clock = RealClock::Get());

  // Where the load series come from (null: none). The worker is made after
  // its metrics (it runs the wrapped runner), so this is set afterwards;
  // `load` must stay valid until replaced.
  void SetLoad(std::function<WorkerLoad()> load);

  // A runner that runs each job on `inner` (not owned) and records it here.
  // The returned runner must not outlive this.
  std::unique_ptr<JobRunner> Wrap(JobRunner* inner);

  // One job that ended with `status` after `took`: counted as "succeeded",
  // "cancelled" or "failed".
  void JobFinished(const absl::Status& status, absl::Duration took);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const Clock* clock_;
  std::shared_ptr<prometheus::Registry> jobs_;
  prometheus::Family<prometheus::Counter>& jobs_total_;
  prometheus::Family<prometheus::Histogram>& stage_seconds_;
  mutable absl::Mutex mu_;
  std::function<WorkerLoad()> load_ ABSL_GUARDED_BY(mu_);
};

}  // namespace farm::worker

#endif  // FARM_WORKER_WORKER_METRICS_H_
