// Context walk and upload of a 20,000-file, 300 MB tree (issue 5's figure):
// a cold walk hashes everything, a warm one is served by the stat cache,
// one changed file is hashed alone (warm and changed include loading and
// saving the cache, as `farm build` does); then the first upload of every blob
// over gRPC on 127.0.0.1, and an unchanged rebuild that uploads nothing.
// The cold walk's peer is coreutils' sha256sum over the same files.
// Run: bazel run -c opt //bench:context_upload_bench
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "client/build/build_session.h"
#include "client/build/fake_build_service.h"
#include "client/build/grpc_build_stream.h"
#include "client/build/session_testing.h"
#include "client/context/context_walker.h"
#include "common/fs.h"

namespace farm::client::build {
namespace {

constexpr int kFiles = 20000;
constexpr int64_t kTotalBytes = 300 << 20;

// The tree, made once per process and removed at exit.
const std::string& Tree() {
  static const std::string* root = [] {
    std::string dir = *MakeTempDir("context-bench");
    std::string block(kTotalBytes / kFiles, '\0');
    for (int i = 0; i < kFiles; ++i) {
      for (size_t j = 0; j < block.size(); j += 64) {
        block[j] = static_cast<char>(i * 31 + j);
      }
      std::string sub = JoinPath(dir, absl::StrCat("d", i % 100));
      (void)MakeDirs(sub);
      (void)WriteFile(JoinPath(sub, absl::StrCat("f", i)),
                      absl::StrCat(i, block));
    }
    absl::SleepFor(absl::Seconds(1.1));  // past the stat cache's racy window
    std::atexit([] {
      (void)RemoveAll(Tree());
      (void)RemoveAll(Tree() + ".stat");
    });
    return new std::string(dir);
  }();
  return *root;
}

context::ContextSnapshot Walk(context::StatCache* cache,
                              benchmark::State& state) {
  context::WalkOptions options;
  options.stat_cache = cache;
  absl::StatusOr<context::ContextSnapshot> snap =
      context::WalkContext(Tree(), {}, options);
  if (!snap.ok()) state.SkipWithError(snap.status().ToString().c_str());
  return snap.ok() ? *std::move(snap) : context::ContextSnapshot();
}

void BM_WalkCold(benchmark::State& state) {
  Tree();
  for (auto _ : state) {
    context::ContextSnapshot snap = Walk(nullptr, state);
    state.counters["hashed_MB"] = snap.stats.hashed_bytes / 1e6;
  }
}
BENCHMARK(BM_WalkCold)->Unit(benchmark::kMillisecond)->UseRealTime();

// The peer for the cold walk: coreutils' sha256sum over the same files, one
// process at a time, as `find | xargs` runs it.
void BM_Sha256sumPeer(benchmark::State& state) {
  const std::string command = absl::StrCat(
      "find '", Tree(), "' -type f -print0 | xargs -0 sha256sum >/dev/null");
  for (auto _ : state) {
    if (std::system(command.c_str()) != 0) {
      state.SkipWithError("sha256sum failed");
    }
  }
}
BENCHMARK(BM_Sha256sumPeer)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_WalkWarm(benchmark::State& state) {
  std::string cache_path = Tree() + ".stat";
  context::StatCache cache(cache_path);
  Walk(&cache, state);  // fills the cache
  (void)cache.Save();
  for (auto _ : state) {
    context::StatCache warm(cache_path);
    warm.Load();
    context::ContextSnapshot snap = Walk(&warm, state);
    state.counters["hashed_files"] = snap.stats.hashed_files;
  }
}
BENCHMARK(BM_WalkWarm)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_WalkOneChanged(benchmark::State& state) {
  std::string cache_path = Tree() + ".stat";
  int n = 0;
  for (auto _ : state) {
    state.PauseTiming();
    (void)WriteFile(JoinPath(Tree(), "d7/f7"), absl::StrCat("changed ", n++));
    state.ResumeTiming();
    context::StatCache cache(cache_path);
    cache.Load();
    context::ContextSnapshot snap = Walk(&cache, state);
    state.counters["hashed_files"] = snap.stats.hashed_files;
    (void)cache.Save();
  }
}
BENCHMARK(BM_WalkOneChanged)->Unit(benchmark::kMillisecond)->UseRealTime();

// One build against a farm that asks for every blob (first upload) or for
// none (unchanged rebuild).
void Upload(benchmark::State& state, bool everything) {
  context::ContextSnapshot snap = Walk(nullptr, state);
  context::ContextBlobSource blobs(snap);
  FakeBuildServer server([&](FarmCall& call, int) {
    auto read = [&call](proto::BuildClientMessage* m) { return call.Read(m); };
    testing::Opening opening = testing::ReadOpening(read);
    call.Write(testing::Accepted("bench"));
    std::vector<std::string> need;
    if (everything) {
      for (const auto& [digest, files] : context::FilesByDigest(snap)) {
        need.push_back(digest);
      }
    }
    call.Write(testing::Need(need));
    for (const std::string& digest : need) testing::ReadBlob(read, digest);
    call.Write(testing::Result(true));
  });
  GrpcBuildConnector connector(server.NewChannel());
  int64_t bytes = 0;
  for (auto _ : state) {
    class Silent : public progress::ProgressPrinter {
      void OnAccepted(const std::string&) override {}
      void OnEvent(const proto::BuildEvent&) override {}
      void OnResult(const proto::BuildResult&) override {}
    } printer;
    progress::ClientSteps steps(&printer, RealClock::Get());
    SessionOptions options;
    options.manifest = &snap.manifest;
    options.blobs = &blobs;
    options.printer = &printer;
    options.steps = &steps;
    BuildSession session(&connector, options);
    absl::StatusOr<proto::BuildResult> result = session.Run();
    if (!result.ok()) state.SkipWithError(result.status().ToString().c_str());
    bytes = session.uploaded_bytes();
  }
  state.counters["uploaded_MB"] = bytes / 1e6;
  state.SetBytesProcessed(state.iterations() * bytes);
}

void BM_UploadEverything(benchmark::State& state) { Upload(state, true); }
BENCHMARK(BM_UploadEverything)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_UploadUnchanged(benchmark::State& state) { Upload(state, false); }
BENCHMARK(BM_UploadUnchanged)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace farm::client::build

BENCHMARK_MAIN();
