#include "dockerfile/dockerfile.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "dockerfile/instruction_parser.h"
#include "dockerfile/lint.h"
#include "dockerfile/parser.h"
#include "dockerfile/text.h"

namespace farm::dockerfile {

bool Stage::HasName(absl::string_view ref) const {
  return !name.empty() && absl::EqualsIgnoreCase(name, ref);
}

const Stage* Dockerfile::FindStage(absl::string_view ref) const {
  for (const Stage& stage : stages) {
    if (stage.HasName(ref)) return &stage;
  }
  std::optional<int64_t> index = ParseGoInt(ref, 64);
  if (index && *index >= 0 && *index < static_cast<int64_t>(stages.size())) {
    return &stages[*index];
  }
  return nullptr;
}

absl::StatusOr<Dockerfile> ParseDockerfile(absl::string_view content,
                                           absl::string_view filename) {
  ASSIGN_OR_RETURN(Ast ast, ParseAst(content, filename));
  Dockerfile file;
  file.filename = std::string(filename);
  file.directives = ast.directives;
  std::vector<Warning> warnings = std::move(ast.warnings);
  const int last_line = ast.nodes.back().start_line;
  for (Node& node : ast.nodes) {
    const int line = node.start_line;
    ASSIGN_OR_RETURN(Instruction instruction,
                     ParseInstruction(std::move(node), filename));
    if (file.stages.empty() && instruction.As<ArgInstruction>()) {
      file.meta_args.push_back(std::move(instruction));
      continue;
    }
    if (const auto* from = instruction.As<FromInstruction>()) {
      Stage stage;
      stage.index = static_cast<int>(file.stages.size());
      stage.name = from->name;
      stage.base = from->base;
      stage.platform = from->platform;
      stage.from = std::move(instruction);
      file.stages.push_back(std::move(stage));
      continue;
    }
    if (file.stages.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          filename, ":", line, ": no build stage in current context"));
    }
    file.stages.back().instructions.push_back(std::move(instruction));
  }
  if (file.stages.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        filename, ":", last_line, ": dockerfile contains no stages to build"));
  }
  if (file.directives.check) {
    absl::StatusOr<CheckOptions> check =
        ParseCheckOptions(file.directives.check->value);
    if (!check.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(filename, ":", file.directives.check->line, ": ",
                       check.status().message()));
    }
  }
  Lint(file, &warnings);
  std::stable_sort(
      warnings.begin(), warnings.end(),
      [](const Warning& a, const Warning& b) { return a.line < b.line; });
  file.warnings = FilterWarnings(file.directives, std::move(warnings));
  return file;
}

}  // namespace farm::dockerfile
