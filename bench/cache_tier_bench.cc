// The cache past one machine (docs/scale.md): three farm-cache nodes, each a
// RocksDB tier in front of one S3 bucket (OpenStack Swift's s3api on
// loopback), reached through the sharded client a scheduler uses; beside
// the single-node cache of today and the bucket read directly, in the same
// run.
//   bazel run -c opt //bench:cache_tier_bench -- --blob_mib=256
// Sizes: --digests (FindMissing, default 10,000) and --blob_mib (the large
// blob, default 64).
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "auth/authenticator.h"
#include "bench/cache_bench_util.h"
#include "benchmark/benchmark.h"
#include "cache/blob_checking_action_cache.h"
#include "cache/s3/s3_action_cache.h"
#include "cache/s3/s3_blob_store.h"
#include "cache/s3/s3_bucket.h"
#include "cache/s3/testing/swift_server.h"
#include "cache/service/cache_service.h"
#include "cache/service/grpc_server.h"
#include "cache/sharded/remote_sharded_cache.h"
#include "cache/tiered/read_through_action_cache.h"
#include "cache/tiered/read_through_blob_store.h"
#include "cache/tiered/tiered_cache_admin.h"
#include "common/fs.h"
#include "common/random_bytes.h"

ABSL_FLAG(int, digests, 10'000, "digests per FindMissing call");
ABSL_FLAG(int, blob_mib, 64, "size of the large blob, MiB");

namespace farm::bench {
namespace {

void Check(const absl::Status& status, const char* what) {
  if (status.ok()) return;
  fprintf(stderr, "%s: %s\n", what, status.ToString().c_str());
  abort();
}

// One farm-cache node as the binary builds it with --s3-endpoint, served on
// loopback.
class TierNode {
 public:
  explicit TierNode(const cache::s3::S3Options& s3) : bucket_(s3) {
    cache::s3::S3BlobStoreOptions options;
    options.spool_dir = local_.dir();
    slow_blobs_ = std::make_unique<cache::s3::S3BlobStore>(&bucket_, options);
    slow_actions_ = std::make_unique<cache::s3::S3ActionCache>(&bucket_);
    blobs_ = std::make_unique<cache::ReadThroughBlobStore>(
        local_.cache().blobs(), slow_blobs_.get());
    raw_actions_ = std::make_unique<cache::ReadThroughActionCache>(
        local_.cache().actions(), slow_actions_.get());
    actions_ = std::make_unique<cache::BlobCheckingActionCache>(
        raw_actions_.get(), blobs_.get());
    admin_ = std::make_unique<cache::TieredCacheAdmin>(&local_.cache(),
                                                       slow_blobs_.get());
    service_ = std::make_unique<cache::CacheService>(
        blobs_.get(), actions_.get(), admin_.get(), &open_);
    absl::StatusOr<cache::RunningServer> server =
        cache::StartGrpcServer("127.0.0.1:0", {service_.get()});
    Check(server.status(), "starting a node");
    server_ = std::move(*server);
  }
  ~TierNode() { server_.server->Shutdown(); }

  std::string address() const {
    return "127.0.0.1:" + std::to_string(server_.port);
  }
  // The node's own copies, for emptying it.
  cache::BlobStore& local() { return *local_.cache().blobs(); }

 private:
  BenchCache local_;
  cache::s3::S3Bucket bucket_;
  std::unique_ptr<cache::s3::S3BlobStore> slow_blobs_;
  std::unique_ptr<cache::s3::S3ActionCache> slow_actions_;
  std::unique_ptr<cache::ReadThroughBlobStore> blobs_;
  std::unique_ptr<cache::ReadThroughActionCache> raw_actions_;
  std::unique_ptr<cache::BlobCheckingActionCache> actions_;
  std::unique_ptr<cache::TieredCacheAdmin> admin_;
  auth::Authenticator open_{auth::AuthenticatorOptions()};
  std::unique_ptr<cache::CacheService> service_;
  cache::RunningServer server_;
};

// Swift, the bucket, three nodes and the sharded client over them, plus
// today's single node; made once for every benchmark.
struct World {
  std::unique_ptr<cache::s3::testing::SwiftServer> swift;
  std::unique_ptr<cache::s3::S3Bucket> bucket;
  std::unique_ptr<cache::s3::S3BlobStore> direct;  // the bucket itself
  std::vector<std::unique_ptr<TierNode>> nodes;
  std::unique_ptr<cache::RemoteShardedCache> sharded;
  std::unique_ptr<LoopbackCache> single;
  std::vector<Digest> held;  // all stored
  std::vector<Digest> half;  // half of them stored, half new
  std::string large;
  Digest large_digest;
};

World& TheWorld() {
  static World* world = [] {
    auto* w = new World;
    absl::StatusOr<std::string> dir = MakeTempDir("cache_tier_bench");
    Check(dir.status(), "temp dir");
    auto swift = cache::s3::testing::SwiftServer::Start(*dir, "farm");
    Check(swift.status(), "starting Swift");
    w->swift = std::move(*swift);
    w->bucket = std::make_unique<cache::s3::S3Bucket>(w->swift->options());
    cache::s3::S3BlobStoreOptions options;
    options.spool_dir = *dir;
    w->direct =
        std::make_unique<cache::s3::S3BlobStore>(w->bucket.get(), options);
    std::vector<cache::CacheNode> nodes;
    for (int i = 0; i < 3; ++i) {
      w->nodes.push_back(std::make_unique<TierNode>(w->swift->options()));
      nodes.push_back({w->nodes.back()->address(), 1.0});
    }
    auto sharded = cache::RemoteShardedCache::Dial(
        nodes, auth::ClientSecurity(), RealClock::Get());
    Check(sharded.status(), "dialling the nodes");
    w->sharded = std::move(*sharded);
    w->single = std::make_unique<LoopbackCache>();
    int count = absl::GetFlag(FLAGS_digests);
    for (int i = 0; i < count + count / 2; ++i) {
      std::string data = "tier blob " + std::to_string(i);
      Digest digest = Digest::Of(data);
      if (i >= count / 2) w->half.push_back(digest);
      if (i >= count) continue;
      w->held.push_back(digest);
      Check(PutBlob(*w->sharded->blobs(), data), "storing through the nodes");
      Check(PutBlob(*w->single->local().blobs(), data), "storing locally");
    }
    w->large = RandomBytes(size_t(absl::GetFlag(FLAGS_blob_mib)) << 20, 7);
    w->large_digest = Digest::Of(w->large);
    Check(PutBlob(*w->sharded->blobs(), w->large), "the large blob");
    Check(PutBlob(*w->single->local().blobs(), w->large), "the large blob");
    return w;
  }();
  return *world;
}

void FindMissing(benchmark::State& state, cache::BlobStore& store,
                 const std::vector<Digest>& digests, size_t want_missing) {
  for (auto _ : state) {
    absl::StatusOr<std::vector<Digest>> missing = store.FindMissing(digests);
    if (!missing.ok() || missing->size() != want_missing) {
      fprintf(
          stderr, "FindMissing: %s\n",
          missing.ok() ? "wrong answer" : missing.status().ToString().c_str());
      abort();
    }
  }
  state.counters["digests/s"] = benchmark::Counter(
      double(state.iterations()) * digests.size(), benchmark::Counter::kIsRate);
}

// Today's cache: one farm-cache, RocksDB only.
void BM_FindMissing_SingleNode_AllHeld(benchmark::State& state) {
  FindMissing(state, TheWorld().single->remote(), TheWorld().held, 0);
}
void BM_FindMissing_SingleNode_HalfNew(benchmark::State& state) {
  World& w = TheWorld();
  FindMissing(state, w.single->remote(), w.half, w.half.size() / 2);
}
// The nodes hold every digest: answered from their RocksDB.
void BM_FindMissing_ThreeNodes_AllHeld(benchmark::State& state) {
  FindMissing(state, *TheWorld().sharded->blobs(), TheWorld().held, 0);
}
// Half the digests are new: each is a HEAD to the bucket before the nodes
// can say it is missing.
void BM_FindMissing_ThreeNodes_HalfNew(benchmark::State& state) {
  World& w = TheWorld();
  FindMissing(state, *w.sharded->blobs(), w.half, w.half.size() / 2);
}
// Every node back empty: every digest is a HEAD to the bucket.
void BM_FindMissing_ThreeColdNodes_AllHeld(benchmark::State& state) {
  World& w = TheWorld();
  for (auto& node : w.nodes) {
    for (const Digest& digest : w.held) {
      node->local().Delete(digest).IgnoreError();
    }
  }
  FindMissing(state, *w.sharded->blobs(), w.held, 0);
}
void BM_FindMissing_BucketDirect_AllHeld(benchmark::State& state) {
  FindMissing(state, *TheWorld().direct, TheWorld().held, 0);
}

void ReadLarge(benchmark::State& state, cache::BlobStore& store,
               bool cold_node) {
  World& w = TheWorld();
  for (auto _ : state) {
    if (cold_node) {
      state.PauseTiming();
      for (auto& node : w.nodes) {
        node->local().Delete(w.large_digest).IgnoreError();
      }
      state.ResumeTiming();
    }
    if (ReadAndDiscard(store, w.large_digest) != w.large.size()) abort();
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * w.large.size());
}

void BM_ReadLargeBlob_SingleNode(benchmark::State& state) {
  ReadLarge(state, TheWorld().single->remote(), false);
}
void BM_ReadLargeBlob_WarmNode(benchmark::State& state) {
  ReadLarge(state, *TheWorld().sharded->blobs(), false);
}
// The owner lost its copy: the node reads the bucket and keeps the blob as
// it streams it on.
void BM_ReadLargeBlob_ColdNode(benchmark::State& state) {
  ReadLarge(state, *TheWorld().sharded->blobs(), true);
}
void BM_ReadLargeBlob_BucketDirect(benchmark::State& state) {
  ReadLarge(state, *TheWorld().direct, false);
}

BENCHMARK(BM_FindMissing_SingleNode_AllHeld)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_FindMissing_SingleNode_HalfNew)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_FindMissing_ThreeNodes_AllHeld)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
// One run each: every digest of these is an HTTP request to the bucket.
BENCHMARK(BM_FindMissing_ThreeNodes_HalfNew)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK(BM_FindMissing_ThreeColdNodes_AllHeld)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK(BM_FindMissing_BucketDirect_AllHeld)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK(BM_ReadLargeBlob_SingleNode)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_ReadLargeBlob_WarmNode)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_ReadLargeBlob_ColdNode)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_ReadLargeBlob_BucketDirect)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace farm::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  absl::ParseCommandLine(argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
