// Layer creation (tar + gzip) of a ~500 MB tree: farm's WriteLayer against
// `tar | gzip -6`, `tar | zstd -1` and `tar | zstd -3` on the same tree, in
// the same run.
// The tree is generated once under /tmp (FARM_BENCH_TREE overrides): real
// headers and shared libraries from /usr, many small generated source
// files, and some incompressible data.
//
//   bazel run //bench:layer_create_bench  (copts are -O2 already)
#include <sys/resource.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "common/fs.h"
#include "common/io.h"
#include "image/layer/layer_writer.h"

namespace farm {
namespace {

namespace fs = std::filesystem;
namespace compress = image::compress;

constexpr int64_t kTargetBytes = int64_t{500} << 20;
constexpr char kVersion[] = "layer-tree-v1";

// Counts bytes and drops them.
class CountingWriter : public ByteWriter {
 public:
  absl::Status Write(absl::string_view data) override {
    bytes_ += data.size();
    return absl::OkStatus();
  }
  absl::Status Close() override { return absl::OkStatus(); }
  int64_t bytes() const { return bytes_; }

 private:
  int64_t bytes_ = 0;
};

std::string TreeDir() {
  const char* env = getenv("FARM_BENCH_TREE");
  return env != nullptr ? env : "/tmp/farm-bench-layer-tree";
}

int64_t TreeBytes(const std::string& dir) {
  int64_t total = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && !e.is_symlink()) total += e.file_size();
  }
  return total;
}

// Copies regular files from `from` (recursively) until `budget` bytes.
void CopySome(const std::string& from, const std::string& to, int64_t budget,
              int64_t* used) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(
           from, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator() && *used < budget;
       it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
    int64_t size = it->file_size(ec);
    if (ec || size > (64 << 20)) continue;
    fs::path rel = fs::relative(it->path(), from, ec);
    fs::path dst = fs::path(to) / rel;
    fs::create_directories(dst.parent_path(), ec);
    if (fs::copy_file(it->path(), dst, fs::copy_options::skip_existing, ec)) {
      *used += size;
    }
  }
}

// Source-like text: identifiers, keywords and numbers from a fixed seed.
std::string SourceText(std::mt19937& rng, size_t n) {
  static const char* kWords[] = {
      "static",   "const",  "return",  "if",       "else",     "for",
      "while",    "int",    "void",    "struct",   "std::",    "auto",
      "layer",    "digest", "status",  "buffer",   "size_t",   "nullptr",
      "true",     "false",  "config",  "#include", "<vector>", "namespace",
      "template", "class",  "public:", "private:", "=",        "==",
      "+=",       "(",      ")",       "{",        "}",        ";",
      ",",        "->",     "::",      "0",        "1"};
  std::string s;
  s.reserve(n + 64);
  int indent = 0;
  while (s.size() < n) {
    s.append(indent * 2, ' ');
    int words = 3 + rng() % 9;
    for (int i = 0; i < words; ++i) {
      s += kWords[rng() % (sizeof(kWords) / sizeof(kWords[0]))];
      if (rng() % 7 == 0) s += std::to_string(rng() % 4096);
      s += ' ';
    }
    s += '\n';
    indent = (indent + static_cast<int>(rng() % 3) - 1 + 6) % 6;
  }
  s.resize(n);
  return s;
}

void BuildTree(const std::string& dir) {
  if (ReadFile(dir + "/.version").value_or("") == kVersion) return;
  fprintf(stderr, "generating %s (once)...\n", dir.c_str());
  RemoveAll(dir).IgnoreError();
  MakeDirs(dir).IgnoreError();
  int64_t used = 0;
  CopySome("/usr/include", dir + "/include", 140 << 20, &used);
  int64_t lib_budget = used + (190 << 20);
  CopySome("/usr/lib/x86_64-linux-gnu", dir + "/lib", lib_budget, &used);
  std::mt19937 rng(42);
  // Many small generated files: the typical node_modules / site-packages.
  for (int i = 0; used < kTargetBytes - (30 << 20); ++i) {
    std::string sub = absl::StrCat(dir, "/src/pkg", i / 200);
    if (i % 200 == 0) MakeDirs(sub).IgnoreError();
    size_t n = 512 + rng() % 16384;
    WriteFile(absl::StrCat(sub, "/file", i, ".cc"), SourceText(rng, n))
        .IgnoreError();
    used += n;
  }
  // Already-compressed assets.
  MakeDirs(dir + "/assets").IgnoreError();
  for (int i = 0; used < kTargetBytes; ++i) {
    std::string blob(1 << 20, '\0');
    for (char& c : blob) c = static_cast<char>(rng());
    WriteFile(absl::StrCat(dir, "/assets/blob", i, ".bin"), blob).IgnoreError();
    used += blob.size();
  }
  WriteFile(dir + "/.version", kVersion).IgnoreError();
}

const std::string& Tree() {
  static const std::string* dir = [] {
    auto* d = new std::string(TreeDir());
    BuildTree(*d);
    return d;
  }();
  return *dir;
}

int64_t TreeSize() {
  static const int64_t bytes = TreeBytes(Tree());
  return bytes;
}

// CPU seconds used so far by this process and its waited-for children: the
// machine is shared, so CPU time complements the wall-clock throughput.
double CpuSeconds() {
  double total = 0;
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    struct rusage ru;
    getrusage(who, &ru);
    total += ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
             ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  }
  return total;
}

void Report(benchmark::State& state, int64_t compressed, double cpu) {
  state.counters["cpu_s"] = cpu / state.iterations();
  state.SetBytesProcessed(state.iterations() * TreeSize());
  state.counters["tree_MB"] = TreeSize() / 1e6;
  state.counters["out_MB"] = compressed / 1e6;
  state.counters["ratio"] =
      static_cast<double>(compressed) / static_cast<double>(TreeSize());
}

void BM_FarmLayer(benchmark::State& state, compress::Compression c, int level) {
  image::layer::LayerWriterOptions opts;
  opts.compression = c;
  opts.compress.level = level;
  opts.compress.threads = static_cast<int>(state.range(0));
  int64_t out = 0;
  double cpu = CpuSeconds();
  for (auto _ : state) {
    CountingWriter sink;
    absl::StatusOr<image::layer::LayerInfo> info =
        image::layer::WriteLayer(Tree(), &sink, opts);
    if (!info.ok()) {
      state.SkipWithError(std::string(info.status().message()).c_str());
      return;
    }
    out = sink.bytes();
  }
  Report(state, out, CpuSeconds() - cpu);
}

void BM_Shell(benchmark::State& state, const char* compressor) {
  std::string out_file = TreeDir() + ".out";
  std::string cmd = absl::StrCat("tar -cf - -C ", Tree(), " . | ", compressor,
                                 " > ", out_file);
  double cpu = CpuSeconds();
  for (auto _ : state) {
    if (std::system(cmd.c_str()) != 0) {
      state.SkipWithError("shell pipeline failed");
      return;
    }
  }
  struct stat st;
  stat(out_file.c_str(), &st);
  unlink(out_file.c_str());
  Report(state, st.st_size, CpuSeconds() - cpu);
}

// Every case takes the same options; one line a case below.
#define FARM_LAYER_CASE(...)                  \
  BENCHMARK_CAPTURE(__VA_ARGS__)->Iterations(2) \
      ->UseRealTime()                         \
      ->Unit(benchmark::kMillisecond)

BENCHMARK_CAPTURE(BM_Shell, tar_gzip6, "gzip -6")
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
FARM_LAYER_CASE(BM_Shell, tar_zstd1, "zstd -q -1 -c");
FARM_LAYER_CASE(BM_Shell, tar_zstd3, "zstd -q -3 -c");
FARM_LAYER_CASE(BM_FarmLayer, gzip_l1, compress::Compression::kGzip, 1)
    ->Arg(2);
FARM_LAYER_CASE(BM_FarmLayer, gzip_l2_default,
                compress::Compression::kGzip, 2)
    ->Arg(2);
FARM_LAYER_CASE(BM_FarmLayer, gzip_l3, compress::Compression::kGzip, 3)
    ->Arg(2);
FARM_LAYER_CASE(BM_FarmLayer, tar_only, compress::Compression::kNone, 0)
    ->Arg(0);
FARM_LAYER_CASE(BM_FarmLayer, zstd_l3, compress::Compression::kZstd, 3)
    ->Arg(2);

}  // namespace
}  // namespace farm

BENCHMARK_MAIN();
