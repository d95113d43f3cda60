// Parse and plan a 2,000-instruction, 50-stage Dockerfile (issue target:
// under 20 ms). Each stage mixes every common instruction kind and reads
// from earlier stages, so the planner's expansion and graph work is real.
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "dockerfile/dockerfile.h"
#include "planner/planner.h"

namespace {

constexpr int kStages = 50;
constexpr int kPerStage = 40;  // 50 x 40 = 2,000 instructions

std::string MakeDockerfile() {
  std::string out = "# syntax=docker/dockerfile:1\nARG BASE=alpine\n";
  absl::StrAppend(&out, "ARG VERSION=3.19\n");
  for (int s = 0; s < kStages; ++s) {
    if (s == 0) {
      absl::StrAppend(&out, "FROM ${BASE}:${VERSION} AS stage0\n");
    } else {
      absl::StrAppend(&out, "FROM stage", s / 2, " AS stage", s, "\n");
    }
    absl::StrAppend(&out, "ARG VERSION\nENV APP_HOME=/opt/app", s,
                    " PATH=/usr/local/bin:/usr/bin\n");
    // kPerStage instructions including FROM's followers above (2 so far).
    for (int i = 2; i < kPerStage - 1; ++i) {
      switch (i % 7) {
        case 0:
          absl::StrAppend(&out, "RUN set -eux; \\\n    echo step ", i,
                          " && mkdir -p $APP_HOME/", i, "\n");
          break;
        case 1:
          absl::StrAppend(&out, "COPY --chown=1000:1000 src/", i,
                          " ${APP_HOME}/src/", i, "/\n");
          break;
        case 2:
          absl::StrAppend(&out, "LABEL org.example.step", i,
                          "=\"${VERSION}-", i, "\"\n");
          break;
        case 3:
          absl::StrAppend(&out, "WORKDIR ${APP_HOME}/w", i, "\n");
          break;
        case 4:
          absl::StrAppend(&out, "RUN [\"sh\", \"-c\", \"echo ", i, "\"]\n");
          break;
        case 5:
          absl::StrAppend(&out, "ENV STEP_", i, "=${VERSION:-none}\n");
          break;
        default:
          absl::StrAppend(&out, "EXPOSE ", 8000 + i, "/tcp\n");
      }
    }
    if (s > 0) {
      absl::StrAppend(&out, "COPY --from=stage", s - 1, " /opt /opt/prev\n");
    } else {
      absl::StrAppend(&out, "USER 1000:1000\n");
    }
  }
  return out;
}

void BM_ParseAndPlan(benchmark::State& state) {
  std::string text = MakeDockerfile();
  int instructions = 0;
  for (auto _ : state) {
    auto df = farm::dockerfile::ParseDockerfile(text, "Dockerfile");
    if (!df.ok()) {
      state.SkipWithError(std::string(df.status().message()).c_str());
      return;
    }
    auto graph = farm::planner::Plan(*df, {});
    if (!graph.ok()) {
      state.SkipWithError(std::string(graph.status().message()).c_str());
      return;
    }
    instructions = 0;
    for (const auto& stage : graph->stages()) {
      instructions += stage.instructions_size() + 1;
    }
    benchmark::DoNotOptimize(graph);
  }
  state.counters["stages"] = kStages;
  state.counters["planned_instructions"] = instructions;
  state.counters["bytes"] = text.size();
}
BENCHMARK(BM_ParseAndPlan)->Unit(benchmark::kMillisecond);

void BM_ParseOnly(benchmark::State& state) {
  std::string text = MakeDockerfile();
  for (auto _ : state) {
    auto df = farm::dockerfile::ParseDockerfile(text, "Dockerfile");
    benchmark::DoNotOptimize(df);
  }
}
BENCHMARK(BM_ParseOnly)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
