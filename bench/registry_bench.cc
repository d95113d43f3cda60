// Push and pull of a ~500 MB image (three layers of random data, one of
// compressible text; gzip) to and from a local docker-registry, next to
// skopeo copying the same image the same way in the same run:
//   farm push  vs  skopeo copy oci:LAYOUT docker://...
//   farm pull  vs  skopeo copy docker://... dir:DIR
// Each push goes to a freshly started, empty registry.
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "common/fs.h"
#include "common/random_bytes.h"
#include "image/archive/dir_blob_store.h"
#include "image/registry/image_puller.h"
#include "image/registry/image_pusher.h"
#include "image/registry/testing/local_registry.h"
#include "image/registry/testing/test_env.h"
#include "image/registry/testing/test_image.h"

namespace farm::bench {
namespace {

using image::registry::ImagePuller;
using image::registry::ImagePusher;
using image::registry::Reference;
using image::registry::RegistryClient;
using image::registry::testing::LocalRegistry;
using image::registry::testing::Skopeo;
using image::registry::testing::TestImage;

constexpr size_t kMiB = size_t{1} << 20;

template <typename T>
T Check(absl::StatusOr<T> v) {
  if (!v.ok()) {
    fprintf(stderr, "registry_bench: %s\n", v.status().ToString().c_str());
    abort();
  }
  return *std::move(v);
}

void Check(const absl::Status& s) {
  if (!s.ok()) {
    fprintf(stderr, "registry_bench: %s\n", s.ToString().c_str());
    abort();
  }
}

// Text that gzip shrinks about fivefold, like source trees and logs.
std::string CompressibleText(size_t n) {
  std::string out;
  out.reserve(n + 100);
  for (size_t line = 0; out.size() < n; ++line) {
    absl::StrAppend(&out, "line ", line, ": the quick brown fox ",
                    line * 2654435761u % 100000, " jumps over the lazy dog\n");
  }
  out.resize(n);
  return out;
}

// The image, in an OCI layout that skopeo reads and farm pushes from.
struct Fixture {
  std::string dir;
  std::unique_ptr<image::archive::DirBlobStore> store;
  TestImage image;
  int64_t bytes = 0;  // blob bytes on the wire

  static Fixture& Get() {
    static Fixture* f = [] {
      auto* f = new Fixture;
      f->dir = Check(MakeTempDir("registry-bench"));
      f->store = Check(image::archive::DirBlobStore::Open(f->dir + "/layout"));
      std::vector<image::registry::testing::BuiltLayer> layers;
      for (int i = 0; i < 4; ++i) {
        std::string src = absl::StrCat(f->dir, "/src", i);
        Check(MakeDirs(src));
        std::string data = i < 3 ? RandomBytes(155 * kMiB, i + 1)
                                 : CompressibleText(300 * kMiB);
        Check(WriteFile(src + "/data", data));
        layers.push_back(Check(image::registry::testing::StoreLayerFromDir(
            *f->store, src, image::compress::Compression::kGzip, 1)));
        Check(RemoveAll(src));
      }
      f->image = Check(image::registry::testing::AssembleImage(
          *f->store, layers, "linux/amd64"));
      f->bytes = f->image.config.size;
      for (const auto& l : f->image.layers) f->bytes += l.size;
      Check(image::registry::testing::WriteOciLayout(
          f->dir + "/layout", {{"bench", f->image.Descriptor()}}));
      fprintf(stderr, "image: %d layers, %.1f MiB of blobs\n",
              static_cast<int>(layers.size()),
              static_cast<double>(f->bytes) / kMiB);
      return f;
    }();
    return *f;
  }
};

// A registry that already holds the image (pushed by skopeo); main() stops
// it.
std::unique_ptr<LocalRegistry> filled;

LocalRegistry& Filled() {
  if (filled == nullptr) {
    Fixture& f = Fixture::Get();
    filled = Check(LocalRegistry::Start());
    Check(Skopeo({"copy", "--dest-tls-verify=false",
                  "oci:" + f.dir + "/layout:bench",
                  "docker://" + filled->host() + "/bench/app:1"})
              .status());
  }
  return *filled;
}

// Times `push(host)` once per iteration, each against a fresh, empty
// registry whose start and stop are not timed.
template <typename Push>
void PushLoop(benchmark::State& state, Push push) {
  for (auto _ : state) {
    state.PauseTiming();
    std::unique_ptr<LocalRegistry> reg = Check(LocalRegistry::Start());
    state.ResumeTiming();
    push(reg->host());
    state.PauseTiming();
    reg.reset();
    state.ResumeTiming();
  }
  state.SetBytesProcessed(state.iterations() * Fixture::Get().bytes);
}

// range(0): PATCH chunk size in MiB for blobs over 64 MiB (the default is
// 64); 0 sends every blob in one PUT.
void BM_FarmPush(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  image::registry::RegistryClientOptions options;
  if (state.range(0) == 0) {
    options.upload.monolithic_limit = int64_t{1} << 40;
  } else {
    options.upload.chunk_size = state.range(0) * kMiB;
  }
  PushLoop(state, [&](const std::string& host) {
    RegistryClient client(options);
    ImagePusher pusher(&client);
    Reference ref = Check(Reference::Parse(host + "/bench/app:1"));
    auto r =
        Check(pusher.Push(ref, f.image.manifest, f.image.media_type, *f.store));
    if (r.blobs_uploaded != 5) abort();
  });
}

void BM_SkopeoPush(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  PushLoop(state, [&](const std::string& host) {
    Check(Skopeo({"copy", "--dest-tls-verify=false",
                  "oci:" + f.dir + "/layout:bench",
                  "docker://" + host + "/bench/app:1"})
              .status());
  });
}

void BM_FarmPull(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  LocalRegistry& reg = Filled();
  RegistryClient client;
  ImagePuller puller(&client);
  Reference ref = Check(Reference::Parse(reg.host() + "/bench/app:1"));
  for (auto _ : state) {
    state.PauseTiming();
    std::string out = f.dir + "/farm-pull";
    auto sink = Check(image::archive::DirBlobStore::Open(out));
    state.ResumeTiming();
    auto r = Check(puller.Pull(ref, *sink));
    if (r.blobs_fetched != 4) abort();
    state.PauseTiming();
    Check(RemoveAll(out));
    state.ResumeTiming();
  }
  state.SetBytesProcessed(state.iterations() * f.bytes);
}

void BM_SkopeoPull(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  LocalRegistry& reg = Filled();
  for (auto _ : state) {
    std::string out = f.dir + "/skopeo-pull";
    Check(Skopeo({"copy", "--src-tls-verify=false",
                  "docker://" + reg.host() + "/bench/app:1", "dir:" + out})
              .status());
    state.PauseTiming();
    Check(RemoveAll(out));
    state.ResumeTiming();
  }
  state.SetBytesProcessed(state.iterations() * f.bytes);
}

// Interleaved so both tools see the same machine state.
BENCHMARK(BM_FarmPush)
    ->Arg(64)
    ->Arg(0)
    ->Arg(16)
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_SkopeoPush)
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_FarmPull)
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_SkopeoPull)
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace farm::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  farm::bench::filled.reset();
  farm::RemoveAll(farm::bench::Fixture::Get().dir).IgnoreError();
  return 0;
}
