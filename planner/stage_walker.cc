#include "planner/stage_walker.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "dockerfile/expand.h"
#include "dockerfile/format.h"
#include "planner/variable_scope.h"

namespace farm::planner {

namespace {

// The value `ARG name` takes in a stage that gives no default, or whose
// default a build arg overrides.
std::optional<std::string> ArgValue(const dockerfile::ArgDefinition& def,
                                    const PlanOptions& options,
                                    const GlobalArgs& globals) {
  auto it = options.build_args.find(def.name);
  if (it != options.build_args.end()) return it->second;
  if (def.default_value.has_value()) return def.default_value;
  return globals.Lookup(def.name);
}

}  // namespace

absl::StatusOr<std::vector<proto::StageRef>> ResolveSources(
    const dockerfile::Instruction& instruction, int line,
    const StageRefs& refs) {
  std::vector<proto::StageRef> out;
  for (const std::string& ref : dockerfile::SourceReferences(instruction)) {
    ASSIGN_OR_RETURN(proto::StageRef resolved, refs.FindSource(ref, line));
    out.push_back(std::move(resolved));
  }
  return out;
}

absl::StatusOr<WalkedStage> StageWalker::Walk(
    const dockerfile::Stage& stage, const StageStart& start) const {
  WalkedStage walked;
  VariableScope scope;
  scope.InheritEnv(start.base_env);

  std::vector<std::pair<const dockerfile::Instruction*, bool>> sequence;
  for (const Trigger& trigger : start.triggers) {
    if (trigger.instruction == nullptr) return trigger.error;
    sequence.emplace_back(trigger.instruction.get(), true);
  }
  for (const dockerfile::Instruction& instruction : stage.instructions) {
    sequence.emplace_back(&instruction, false);
  }

  for (const auto& [instruction, from_onbuild] : sequence) {
    // Triggers run at the FROM line of the stage that inherits them.
    int line = from_onbuild ? stage.from.start_line : instruction->start_line;
    int end_line = from_onbuild ? stage.from.end_line : instruction->end_line;
    dockerfile::Instruction positioned = *instruction;
    positioned.start_line = line;
    positioned.end_line = end_line;

    ASSIGN_OR_RETURN(dockerfile::ExpandedInstruction expanded,
                     dockerfile::Expand(positioned, lexer_, scope.AsLookup(),
                                        dockerfile_.filename));
    dockerfile::Instruction& result = expanded.instruction;

    proto::PlannedInstruction planned;
    planned.set_line(line);
    planned.set_end_line(end_line);
    planned.set_keyword(std::string(result.Kind()));
    planned.set_text(dockerfile::CanonicalText(result));
    planned.set_original(instruction->original);
    planned.set_from_onbuild(from_onbuild);
    ASSIGN_OR_RETURN(std::vector<proto::StageRef> sources,
                     ResolveSources(*instruction, line, refs_));
    for (proto::StageRef& source : sources) {
      *planned.add_sources() = std::move(source);
    }

    auto& seen = *planned.mutable_build_args();
    if (result.As<dockerfile::RunInstruction>() != nullptr) {
      // RUN gets every visible ARG in its environment, and the proxy
      // variables even when no ARG declares them.
      for (const auto& [name, value] : scope.VisibleArgs()) seen[name] = value;
      for (const auto& [name, value] : options_.build_args) {
        if (IsProxyArg(name) && !scope.Lookup(name).has_value()) {
          seen[name] = value;
        }
      }
    } else {
      for (const std::string& name : expanded.used) {
        if (scope.IsVisibleArg(name)) seen[name] = *scope.Lookup(name);
      }
    }

    if (const auto* env = result.As<dockerfile::EnvInstruction>()) {
      for (const dockerfile::KeyValue& kv : env->vars) {
        scope.SetEnv(kv.key, kv.value);
      }
    } else if (const auto* arg = result.As<dockerfile::ArgInstruction>()) {
      for (const dockerfile::ArgDefinition& def : arg->args) {
        walked.declared_args.insert(def.name);
        scope.DeclareArg(def.name, ArgValue(def, options_, globals_));
      }
    } else if (const auto* onbuild =
                   result.As<dockerfile::OnbuildInstruction>()) {
      if (!from_onbuild) {
        walked.declared_triggers.push_back(
            Trigger{onbuild->trigger, onbuild->trigger_error});
      }
    }
    walked.instructions.push_back(std::move(planned));
    walked.expanded.push_back(std::move(expanded.instruction));
  }
  walked.final_env = scope.EnvList();
  return walked;
}

}  // namespace farm::planner
