// WorkerPool's indexes must never change the choice: Pick agrees with a
// plain scan of every worker, whatever happened to the pool before.
#include "scheduler/worker_pool.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "scheduler/worker_registration_testing.h"

namespace farm::scheduler {
namespace {

constexpr char kAmd64[] = "linux/amd64";
constexpr char kArm64[] = "linux/arm64";

using Layers = WorkerPool::Layers;

Layers LayersOf(std::vector<std::string> ids) {
  Layers layers;
  for (std::string& id : ids) layers.Add(std::move(id));
  return layers;
}

using testing::Worker;

// The rule, as a scan of every worker by id: most layers held, then least
// loaded, then the first.
const WorkerState* ScanAll(const WorkerPool& pool, const Layers& layers,
                           const std::string& platform = kAmd64,
                           RunMode mode = RunMode::kNative) {
  const WorkerState* best = nullptr;
  int best_overlap = -1;
  double best_load = 0;
  for (const auto& [id, worker] : pool.workers()) {
    if (worker.draining || worker.disk_full ||
        static_cast<int>(worker.running.size()) >= worker.slots) {
      continue;
    }
    const std::vector<std::string>& runs =
        mode == RunMode::kNative ? worker.native : worker.emulated;
    if (std::find(runs.begin(), runs.end(), platform) == runs.end()) continue;
    int overlap = 0;
    for (const std::string& diff_id : layers) {
      overlap += worker.layers.count(diff_id);
    }
    double load = static_cast<double>(worker.running.size()) / worker.slots;
    if (best == nullptr || overlap > best_overlap ||
        (overlap == best_overlap && load < best_load)) {
      best = &worker;
      best_overlap = overlap;
      best_load = load;
    }
  }
  return best;
}

std::string IdOf(const WorkerState* worker) {
  return worker == nullptr ? "(none)" : worker->id;
}

TEST(WorkerPoolTest, MostLayersThenLeastLoadedThenFirstById) {
  WorkerPool pool;
  absl::Time now = absl::UnixEpoch();
  pool.Join(Worker("c", 2, {"l1", "l2"}), now);
  pool.Join(Worker("b", 2, {"l1", "l2"}), now);
  pool.Join(Worker("a", 1, {"l1"}), now);
  const Layers both = LayersOf({"l1", "l2"});
  EXPECT_EQ(IdOf(pool.Pick(both, kAmd64, RunMode::kNative)), "b");
  pool.StartJob(*pool.Find("b"), "j1");
  EXPECT_EQ(IdOf(pool.Pick(both, kAmd64, RunMode::kNative)),
            "c");  // b is half busy
  pool.StartJob(*pool.Find("c"), "j2");
  EXPECT_EQ(IdOf(pool.Pick(both, kAmd64, RunMode::kNative)),
            "b");  // equal loads: the first by id
  // Without layers, the least loaded: a is idle.
  EXPECT_EQ(IdOf(pool.Pick(Layers(), kAmd64, RunMode::kNative)), "a");
  pool.StartJob(*pool.Find("a"), "j3");
  pool.StartJob(*pool.Find("b"), "j4");
  pool.StartJob(*pool.Find("c"), "j5");
  EXPECT_EQ(pool.Pick(both, kAmd64, RunMode::kNative), nullptr);
  EXPECT_EQ(pool.free_workers(), 0u);
  pool.EndJob(*pool.Find("a"), "j3");
  EXPECT_EQ(IdOf(pool.Pick(both, kAmd64, RunMode::kNative)),
            "a");  // the only free one
}

TEST(WorkerPoolTest, DrainingFullAndRemovedWorkersAreNotPicked) {
  WorkerPool pool;
  absl::Time now = absl::UnixEpoch();
  pool.Join(Worker("a", 1, {"l1"}), now);
  pool.Join(Worker("b", 1, {"l1"}), now);
  proto::RegisterWorker full = Worker("c", 1, {"l1"});
  full.set_disk_full(true);
  pool.Join(full, now);
  proto::Heartbeat draining;
  draining.set_draining(true);
  pool.Heartbeat(*pool.Find("a"), draining, now);
  EXPECT_EQ(IdOf(pool.Pick(LayersOf({"l1"}), kAmd64, RunMode::kNative)), "b");
  pool.Remove("b");
  EXPECT_EQ(pool.Find("b"), nullptr);
  EXPECT_EQ(pool.Pick(LayersOf({"l1"}), kAmd64, RunMode::kNative), nullptr);
  pool.Heartbeat(*pool.Find("c"), proto::Heartbeat(), now);  // room again
  EXPECT_EQ(IdOf(pool.Pick(LayersOf({"l1"}), kAmd64, RunMode::kNative)), "c");
}

TEST(WorkerPoolTest, LayersFollowHeartbeats) {
  WorkerPool pool;
  absl::Time now = absl::UnixEpoch();
  pool.Join(Worker("a", 1), now);
  pool.Join(Worker("b", 1, {"l1"}), now);
  EXPECT_EQ(IdOf(pool.Pick(LayersOf({"l2"}), kAmd64, RunMode::kNative)), "a");
  proto::Heartbeat beat;
  beat.add_layers_added("l2");
  pool.Heartbeat(*pool.Find("b"), beat, now);
  EXPECT_EQ(IdOf(pool.Pick(LayersOf({"l2"}), kAmd64, RunMode::kNative)), "b");
  beat.Clear();
  beat.add_layers_removed("l2");
  pool.Heartbeat(*pool.Find("b"), beat, now);
  EXPECT_EQ(IdOf(pool.Pick(LayersOf({"l2"}), kAmd64, RunMode::kNative)), "a");
}

TEST(WorkerPoolTest, PlatformsAreCountedAndDescribed) {
  WorkerPool pool;
  absl::Time now = absl::UnixEpoch();
  EXPECT_EQ(pool.DescribePlatforms(), "nothing");
  pool.Join(testing::Worker("old"), now);  // says nothing: amd64
  pool.Join(testing::WorkerFor("arm", {kArm64}), now);
  pool.Join(testing::WorkerFor("qemu", {kAmd64}, {kArm64}), now);
  EXPECT_EQ(pool.CountRunning(kAmd64, RunMode::kNative), 2);
  EXPECT_EQ(pool.CountRunning(kArm64, RunMode::kNative), 1);
  EXPECT_EQ(pool.CountRunning(kArm64, RunMode::kEmulated), 1);
  EXPECT_EQ(pool.DescribePlatforms(),
            "linux/amd64 (native), linux/arm64 (native), linux/arm64 "
            "(emulated)");
  EXPECT_EQ(IdOf(pool.Pick(Layers(), kArm64, RunMode::kNative)), "arm");
  EXPECT_EQ(IdOf(pool.Pick(Layers(), kArm64, RunMode::kEmulated)), "qemu");
  EXPECT_EQ(pool.Pick(Layers(), "linux/s390x", RunMode::kNative), nullptr);
  pool.Remove("arm");
  pool.Remove("qemu");
  EXPECT_EQ(pool.CountRunning(kArm64, RunMode::kNative), 0);
  EXPECT_EQ(pool.DescribePlatforms(), "linux/amd64 (native)");
}

// Random pools and random events, checked against the scan after each one.
TEST(WorkerPoolTest, PickAgreesWithAScanOfEveryWorker) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    auto below = [&rng](int n) {
      return std::uniform_int_distribution<int>(0, n - 1)(rng);
    };
    const int kWorkers = 2 + below(60);
    const int kLayers = 1 + below(12);
    auto layer = [&](int i) { return absl::StrCat("sha256:", i); };
    WorkerPool pool;
    absl::Time now = absl::UnixEpoch();
    int next_job = 0;
    for (int step = 0; step < 3000; ++step) {
      const std::string id = absl::StrCat("w", below(kWorkers));
      WorkerState* worker = pool.Find(id);
      const int event = below(10);
      if (worker == nullptr || event == 0) {
        std::vector<std::string> held;
        for (int l = 0; l < kLayers; ++l) {
          if (below(3) == 0) held.push_back(layer(l));
        }
        if (worker == nullptr || below(4) == 0) {
          proto::RegisterWorker reg = Worker(id, 1 + below(4), held);
          // Most run amd64; some run arm64 natively or by emulation.
          switch (below(4)) {
            case 0:
              reg.add_native_platforms(kArm64);
              break;
            case 1:
              reg.add_native_platforms(kAmd64);
              reg.add_emulated_platforms(kArm64);
              break;
            default:
              break;  // says nothing: linux/amd64
          }
          pool.Join(reg, now);
        } else {
          pool.Remove(id);
        }
      } else if (event == 1) {
        proto::Heartbeat beat;
        beat.set_draining(below(4) == 0);
        beat.set_disk_full(below(5) == 0);
        beat.add_layers_added(layer(below(kLayers)));
        beat.add_layers_removed(layer(below(kLayers)));
        pool.Heartbeat(*worker, beat, now);
      } else if (event <= 5 && !worker->running.empty()) {
        pool.EndJob(*worker, *worker->running.begin());
      } else {
        // What a dispatch does: place a job and start it there.
        std::vector<std::string> wanted;
        for (int n = below(5); n > 0; --n)
          wanted.push_back(layer(below(kLayers)));
        const Layers layers = LayersOf(wanted);
        const std::string platform = below(3) == 0 ? kArm64 : kAmd64;
        const RunMode mode =
            below(3) == 0 ? RunMode::kEmulated : RunMode::kNative;
        WorkerState* picked = pool.Pick(layers, platform, mode);
        ASSERT_EQ(IdOf(picked), IdOf(ScanAll(pool, layers, platform, mode)))
            << "seed " << seed << " step " << step;
        if (picked != nullptr) {
          pool.StartJob(*picked, absl::StrCat("job-", next_job++));
        }
      }
      size_t free_workers = 0;
      for (const auto& [wid, w] : pool.workers()) {
        free_workers += !w.draining && !w.disk_full &&
                        static_cast<int>(w.running.size()) < w.slots;
      }
      ASSERT_EQ(pool.free_workers(), free_workers)
          << "seed " << seed << " step " << step;
    }
  }
}

}  // namespace
}  // namespace farm::scheduler
