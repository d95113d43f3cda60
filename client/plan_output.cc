#include "client/plan_output.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"

namespace farm::client {

namespace {

// Stages are named by AS name, or by index when they have none.
std::map<int, std::string> StageNames(const proto::StageGraph& graph) {
  std::map<int, std::string> names;
  for (const proto::PlannedStage& stage : graph.stages()) {
    names[stage.index()] =
        stage.name().empty() ? absl::StrCat(stage.index()) : stage.name();
  }
  return names;
}

}  // namespace

std::string PlanToJson(const proto::StageGraph& graph) {
  std::map<int, std::string> names = StageNames(graph);
  nlohmann::ordered_json stages = nlohmann::ordered_json::array();
  for (const proto::PlannedStage& stage : graph.stages()) {
    nlohmann::ordered_json depends = nlohmann::ordered_json::array();
    for (int dep : stage.depends_on()) depends.push_back(names[dep]);
    nlohmann::ordered_json instructions = nlohmann::ordered_json::array();
    for (const proto::PlannedInstruction& in : stage.instructions()) {
      instructions.push_back({{"line", in.line()}, {"text", in.text()}});
    }
    stages.push_back({{"name", names[stage.index()]},
                      {"index", stage.index()},
                      {"base", stage.base()},
                      {"depends_on", depends},
                      {"instructions", instructions}});
  }
  nlohmann::ordered_json out = {{"stages", stages}};
  return out.dump(2) + "\n";
}

std::string PlanToText(const proto::StageGraph& graph) {
  std::map<int, std::string> names = StageNames(graph);
  std::string out = absl::StrCat(
      graph.stages_size(), graph.stages_size() == 1 ? " stage" : " stages",
      " to run, in order:\n");
  for (const proto::PlannedStage& stage : graph.stages()) {
    std::vector<std::string> deps;
    for (int dep : stage.depends_on()) deps.push_back(names[dep]);
    absl::StrAppend(&out, "\nstage ", names[stage.index()], " (#",
                    stage.index(), ", line ", stage.from_line(), ") FROM ",
                    stage.base());
    if (!stage.platform().empty()) {
      absl::StrAppend(&out, " --platform=", stage.platform());
    }
    if (!deps.empty()) {
      absl::StrAppend(&out, "  needs: ", absl::StrJoin(deps, ", "));
    }
    absl::StrAppend(&out, "\n");
    for (const proto::PlannedInstruction& in : stage.instructions()) {
      absl::StrAppend(&out, "  ", in.line(), ": ", in.text(),
                      in.from_onbuild() ? "  (ONBUILD trigger)" : "", "\n");
    }
  }
  return out;
}

}  // namespace farm::client
