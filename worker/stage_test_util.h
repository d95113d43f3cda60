// Test support for the stage runner and the agent: a worker's stores in a
// temp dir (RocksDB cache, snapshot store, runc), the busybox base image in
// the CAS, build contexts as manifests, whole builds run stage by stage the
// way the scheduler would dispatch them, and layers listed in the form of
// tests/compat's expected.json.
#ifndef FARM_WORKER_STAGE_TEST_UTIL_H_
#define FARM_WORKER_STAGE_TEST_UTIL_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cache/rocksdb_cache.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "proto/worker.pb.h"
#include "worker/runner_stack.h"
#include "worker/stage_events.h"
#include "worker/stage_runner.h"

namespace farm::worker::testing {

class TestWorker;

// A TestWorker in a temp dir with busybox:latest stored in its CAS: what
// the stage runner's tests start from.
class StageRunnerFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Runs the RUN steps; null (the default): runc.
  virtual executor::Executor* executor() { return nullptr; }

  std::string dir_;
  std::unique_ptr<TestWorker> worker_;
  proto::ImageContent busybox_;
};

// Everything a StageRunner needs, under one directory.
class TestWorker {
 public:
  // `executor` runs the RUN steps (not owned); null: runc.
  static absl::StatusOr<std::unique_ptr<TestWorker>> Create(
      const std::string& dir, executor::Executor* executor = nullptr);
  ~TestWorker();

  cache::BlobStore& blobs() { return *cache_->blobs(); }
  cache::ActionCache& actions() { return *cache_->actions(); }
  snapshot::SnapshotStore& snapshots() { return stack_->snapshots(); }
  StageRunner& runner() { return stack_->runner(); }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::unique_ptr<cache::RocksDbCache> cache_;
  std::unique_ptr<RunnerStack> stack_;
};

// Collects events; thread-safe.
class RecordingSink : public EventSink {
 public:
  void Emit(const proto::BuildEvent& event) override;
  std::vector<proto::BuildEvent> events() const;
  // "KIND index text" lines, e.g. "STEP_DONE 2" or "STEP_LOG 3 hello".
  std::vector<std::string> Summary() const;

 private:
  mutable absl::Mutex mu_;
  std::vector<proto::BuildEvent> events_ ABSL_GUARDED_BY(mu_);
};

// busybox:latest as tests/fixtures/make_busybox_image.sh makes it (the
// same tree and config), its layer stored in `blobs`.
absl::StatusOr<proto::ImageContent> PutBusyboxImage(cache::BlobStore& blobs,
                                                    const std::string& tmp);

// The manifest of directory `dir` as the client makes it (.dockerignore
// applied), with every file stored in `blobs`.
absl::StatusOr<proto::ContextManifest> PutContext(const std::string& dir,
                                                  cache::BlobStore& blobs);

struct TestBuild {
  std::string dockerfile;
  std::map<std::string, std::string> build_args;
  std::string target;
  std::map<std::string, proto::ImageContent> images;
  proto::ContextManifest context;
  bool no_cache = false;
  std::map<std::string, std::string> secrets;  // --secret values by id
  proto::RunLimits run_limits;                 // --run-* values
};

// Plans `build` and runs its stages in order with `runner`, each stage's
// job made as the scheduler makes it, with keys chained from the base, the
// instruction text, the build args it sees and the content it reads.
// Returns every stage's output by index (the target's included).
absl::StatusOr<std::map<int, proto::StageOutput>> RunBuild(
    StageRunner& runner, const TestBuild& build, EventSink& events,
    int* target_index = nullptr);

// One stage's job, given the outputs of the stages it reads.
absl::StatusOr<proto::StageJob> MakeJob(
    const TestBuild& build, int stage_index,
    const std::map<int, proto::StageOutput>& outputs);

// The entries of a layer as tests/compat/flatten.py lists them, sorted by
// path.
absl::StatusOr<nlohmann::json> LayerEntries(cache::BlobStore& blobs,
                                            const proto::LayerRef& layer);

}  // namespace farm::worker::testing

#endif  // FARM_WORKER_STAGE_TEST_UTIL_H_
