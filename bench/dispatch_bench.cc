// Dispatch throughput and assignment latency of the scheduler (issue 5):
// 1,000 simulated workers held in process, driven through JobScheduler (the
// pure state machine) and through SchedulerCore (the same machine behind the
// hub's mutex, with each assignment queued on the worker's outbox as the
// Worker service sees it). Jobs look like real ones: a Dockerfile, a base
// image with its config and layers, a context subset and a key per
// instruction; workers hold different base layers, so placement compares.
//
// Latency is timed per call that hands out a job: Submit → AssignJob when a
// worker is idle, JobResult → the next AssignJob when jobs are queued (the
// result message is built before the clock starts). The counters report
// p50/p99 of each; items_per_second is stage jobs run.
// Run: bazel run -c opt //bench:dispatch_bench [-- --benchmark_min_time=8]
// (a longer run: the heap ages, and each job costs more than in the first
// 0.5 s; docs/benchmarks.md gives both).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "common/clock.h"
#include "scheduler/job_scheduler.h"
#include "scheduler/scheduler_core.h"

namespace farm::scheduler {
namespace {

constexpr int kBaseImages = 50;      // distinct base images in the fleet
constexpr int kLayersPerBase = 4;    // layers of each base image
constexpr int kImagesPerWorker = 8;  // bases a worker has unpacked

std::string Hex64(uint64_t seed) {
  std::string out;
  for (int i = 0; i < 4; ++i) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    absl::StrAppend(&out, absl::Hex(seed, absl::kZeroPad16));
  }
  return out;
}

std::string DiffId(int base, int layer) {
  return absl::StrCat("sha256:", Hex64(base * 100 + layer));
}

// A stage job of build `n` on base image `n % kBaseImages`, unique by key.
proto::StageJob MakeJob(uint64_t n) {
  proto::StageJob job;
  for (const char* text :
       {"WORKDIR /src", "COPY . .",
        "RUN make -j4 all && make install DESTDIR=/out"}) {
    job.mutable_stage()->add_instructions()->set_text(text);
  }
  job.set_dockerfile_name("Dockerfile");
  job.set_target_platform("linux/amd64");
  (*job.mutable_build_args())["VERSION"] = absl::StrCat(n);
  int base = static_cast<int>(n % kBaseImages);
  proto::StageOutput& image = *job.mutable_base();
  image.set_config(std::string(1500, '{'));
  for (int l = 0; l < kLayersPerBase; ++l) {
    proto::LayerRef* layer = image.add_layers();
    layer->set_digest(absl::StrCat("sha256:", Hex64(base * 1000 + l)));
    layer->set_diff_id(DiffId(base, l));
    layer->set_size(3 << 20);
    job.add_base_diff_ids(DiffId(base, l));
  }
  for (int e = 0; e < 20; ++e) {
    proto::ContextEntry* entry = job.mutable_context()->add_entries();
    entry->set_path(absl::StrCat("src/file", e, ".c"));
    entry->set_mode(0644);
    entry->set_size(4096);
    entry->set_digest(absl::StrCat("sha256:", Hex64(n * 64 + e)));
  }
  for (int k = 0; k < 4; ++k) {
    job.add_keys(absl::StrCat("sha256:", Hex64(n * 8 + k)));
  }
  return job;
}

proto::RegisterWorker MakeWorker(int i) {
  proto::RegisterWorker reg;
  reg.set_worker_id(absl::StrCat("worker-", i));
  reg.set_slots(1);
  for (int b = 0; b < kImagesPerWorker; ++b) {
    int base = (i * 7 + b) % kBaseImages;
    for (int l = 0; l < kLayersPerBase; ++l) reg.add_layers(DiffId(base, l));
  }
  return reg;
}

proto::JobResult Success(const std::string& job_id) {
  proto::JobResult result;
  result.set_job_id(job_id);
  result.set_ok(true);
  result.mutable_output()->set_final_key("sha256:done");
  result.mutable_output()->set_config(std::string(1500, '{'));
  return result;
}

// Call latencies, in microseconds, reported as p50/p99 counters.
class Latencies {
 public:
  void Add(std::chrono::steady_clock::duration d) {
    us_.push_back(std::chrono::duration<double, std::micro>(d).count());
  }
  void Report(benchmark::State& state, const std::string& name) {
    if (us_.empty()) return;
    std::sort(us_.begin(), us_.end());
    auto at = [this](double q) {
      return us_[std::min(us_.size() - 1, static_cast<size_t>(q * us_.size()))];
    };
    state.counters[name + "_p50_us"] = at(0.50);
    state.counters[name + "_p99_us"] = at(0.99);
    state.counters[name + "_max_us"] = us_.back();
  }

 private:
  std::vector<double> us_;
};

// Where a job went, as the caller learns from the actions.
struct Running {
  std::string worker_id;
  std::string job_id;
};

void Collect(const std::vector<SchedulerAction>& actions,
             std::deque<Running>& running, int* assigned) {
  for (const SchedulerAction& action : actions) {
    if (const auto* assign = std::get_if<AssignJob>(&action)) {
      running.push_back({assign->worker_id, assign->job.job_id()});
      ++*assigned;
    }
  }
}

// Every iteration submits `workers` jobs to an idle fleet (each Submit hands
// one out) and then finishes them all: the burst of a large build, or of many
// builds arriving together.
void BM_SubmitToIdleFleet(benchmark::State& state) {
  const int workers = static_cast<int>(state.range(0));
  SimulatedClock clock;
  JobScheduler scheduler(&clock);
  for (int i = 0; i < workers; ++i) scheduler.WorkerJoined(MakeWorker(i));
  std::vector<proto::StageJob> jobs;
  uint64_t next = 0;
  Latencies submit;
  int64_t done = 0;
  for (auto _ : state) {
    state.PauseTiming();
    jobs.clear();
    for (int i = 0; i < workers; ++i) jobs.push_back(MakeJob(next++));
    std::deque<Running> running;
    int assigned = 0;
    state.ResumeTiming();
    for (proto::StageJob& job : jobs) {
      auto start = std::chrono::steady_clock::now();
      std::vector<SchedulerAction> actions =
          scheduler.Submit({absl::StrCat("build-", next), 0}, std::move(job));
      submit.Add(std::chrono::steady_clock::now() - start);
      Collect(actions, running, &assigned);
    }
    if (assigned != workers) {
      state.SkipWithError("a Submit to an idle fleet did not assign the job");
      return;
    }
    for (const Running& r : running) {
      scheduler.JobResultFrom(r.worker_id, Success(r.job_id));
    }
    done += workers;
  }
  state.SetItemsProcessed(done);
  submit.Report(state, "submit_to_assign");
}
BENCHMARK(BM_SubmitToIdleFleet)
    ->Arg(1000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// A saturated fleet with `backlog` jobs queued: each finished job hands the
// next queued one to the worker it freed, and a new Submit keeps the queue
// full. One iteration is one job through the farm.
void BM_SaturatedFleet(benchmark::State& state) {
  const int workers = static_cast<int>(state.range(0));
  const int backlog = static_cast<int>(state.range(1));
  SimulatedClock clock;
  JobScheduler scheduler(&clock);
  for (int i = 0; i < workers; ++i) scheduler.WorkerJoined(MakeWorker(i));
  uint64_t next = 0;
  std::deque<Running> running;
  int assigned = 0;
  for (int i = 0; i < workers + backlog; ++i) {
    Collect(scheduler.Submit({absl::StrCat("build-", i), 0}, MakeJob(next++)),
            running, &assigned);
  }
  Latencies result_to_assign;
  Latencies submit;
  std::vector<proto::StageJob> pending;
  for (auto _ : state) {
    if (pending.empty()) {
      state.PauseTiming();
      for (int i = 0; i < 1024; ++i) pending.push_back(MakeJob(next++));
      state.ResumeTiming();
    }
    Running finished = running.front();
    running.pop_front();
    int before = assigned;
    const proto::JobResult result = Success(finished.job_id);
    auto start = std::chrono::steady_clock::now();
    std::vector<SchedulerAction> actions =
        scheduler.JobResultFrom(finished.worker_id, result);
    result_to_assign.Add(std::chrono::steady_clock::now() - start);
    Collect(actions, running, &assigned);
    if (assigned != before + 1) {
      state.SkipWithError("a finished job did not hand out the next one");
      return;
    }
    start = std::chrono::steady_clock::now();
    scheduler.Submit({absl::StrCat("build-", next), 0},
                     std::move(pending.back()));
    submit.Add(std::chrono::steady_clock::now() - start);
    pending.pop_back();
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["queued"] = static_cast<double>(scheduler.queued());
  result_to_assign.Report(state, "result_to_assign");
  submit.Report(state, "submit_queued");
}
BENCHMARK(BM_SaturatedFleet)
    ->Args({1000, 1000})
    ->Args({1000, 10000})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

// The saturated fleet through SchedulerCore, as the services drive it: the
// hub's lock, the build listener, and each assignment queued on the
// worker's outbox (drained here as a worker's stream would).
class CountingListener : public BuildListener {
 public:
  void OnJobDone(int, const absl::Status& status,
                 const proto::StageOutput&) override {
    done_ += status.ok() ? 1 : 0;
  }
  void OnJobEvent(int, const proto::BuildEvent&) override {}
  int64_t done() const { return done_; }

 private:
  int64_t done_ = 0;
};

void BM_SaturatedFleetThroughCore(benchmark::State& state) {
  const int workers = static_cast<int>(state.range(0));
  const int backlog = static_cast<int>(state.range(1));
  SimulatedClock clock;
  SchedulerCore core(&clock, JobSchedulerOptions{});
  CountingListener listener;
  core.RegisterBuild("bench", &listener);
  std::vector<std::shared_ptr<WorkerOutbox>> outboxes;
  for (int i = 0; i < workers; ++i) {
    outboxes.push_back(*core.WorkerJoined(MakeWorker(i)));
    outboxes.back()->Pop(absl::ZeroDuration());  // Registered
  }
  uint64_t next = 0;
  for (int i = 0; i < workers + backlog; ++i) {
    core.Submit("bench", static_cast<int>(next), MakeJob(next));
    ++next;
  }
  // The job each worker runs, oldest first.
  std::deque<Running> running;
  // Takes the one message a worker's stream would send next. (Popping an
  // empty queue waits, so the loop never asks for more than is there.)
  auto take = [&](int worker) {
    std::optional<proto::SchedulerMessage> m =
        outboxes[worker]->Pop(absl::ZeroDuration());
    if (m.has_value() && m->has_assign()) {
      running.push_back(
          {absl::StrCat("worker-", worker), m->assign().job_id()});
    }
  };
  for (int i = 0; i < workers; ++i) take(i);
  Latencies result_to_assign;
  std::vector<proto::StageJob> pending;
  for (auto _ : state) {
    if (pending.empty()) {
      state.PauseTiming();
      for (int i = 0; i < 1024; ++i) pending.push_back(MakeJob(next + i));
      state.ResumeTiming();
    }
    Running finished = running.front();
    running.pop_front();
    int worker = std::stoi(finished.worker_id.substr(7));
    proto::WorkerMessage message;
    *message.mutable_result() = Success(finished.job_id);
    size_t before = running.size();
    auto start = std::chrono::steady_clock::now();
    core.FromWorker(finished.worker_id, message);
    take(worker);
    result_to_assign.Add(std::chrono::steady_clock::now() - start);
    if (running.size() != before + 1) {
      state.SkipWithError("a finished job did not hand out the next one");
      return;
    }
    core.Submit("bench", static_cast<int>(next++), std::move(pending.back()));
    pending.pop_back();
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["builds_told"] = static_cast<double>(listener.done());
  result_to_assign.Report(state, "result_to_assign");
}
BENCHMARK(BM_SaturatedFleetThroughCore)
    ->Args({1000, 1000})
    ->Args({1000, 10000})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

// The once-a-second lease check of SchedulerCore with every worker
// connected and none expired: it holds the lock every dispatch takes.
void BM_CoreTick(benchmark::State& state) {
  const int workers = static_cast<int>(state.range(0));
  SimulatedClock clock;
  SchedulerCore core(&clock, JobSchedulerOptions{});
  std::vector<std::shared_ptr<WorkerOutbox>> outboxes;
  for (int i = 0; i < workers; ++i) {
    outboxes.push_back(*core.WorkerJoined(MakeWorker(i)));
  }
  for (auto _ : state) core.Tick();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CoreTick)->Arg(1000)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace farm::scheduler

BENCHMARK_MAIN();
