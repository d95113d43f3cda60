// Walks one stage's instructions in order, keeping its variable scope, and
// turns each into a PlannedInstruction: expanded where Docker expands,
// rendered canonically, with the build args it sees. The ONBUILD triggers
// inherited from the base run first, as Docker runs them at FROM.
#ifndef FARM_PLANNER_STAGE_WALKER_H_
#define FARM_PLANNER_STAGE_WALKER_H_

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dockerfile/dockerfile.h"
#include "dockerfile/shell_lexer.h"
#include "planner/global_args.h"
#include "planner/planner.h"
#include "planner/stage_refs.h"
#include "proto/plan.pb.h"

namespace farm::planner {

// An ONBUILD trigger. Docker reports a trigger that does not parse only when
// a stage built on it runs it, so the error travels with the trigger.
struct Trigger {
  std::shared_ptr<const dockerfile::Instruction> instruction;
  absl::Status error;
};

// What the walk starts from.
struct StageStart {
  std::vector<std::string> base_env;  // Env of the base image or stage
  std::vector<Trigger> triggers;      // ONBUILD triggers of the base
};

struct WalkedStage {
  std::vector<proto::PlannedInstruction> instructions;
  // The same instructions, typed and expanded, for whoever runs them.
  std::vector<dockerfile::Instruction> expanded;
  std::vector<std::string> final_env;  // what a `FROM <this stage>` inherits
  std::vector<Trigger> declared_triggers;  // this stage's own ONBUILDs
  std::set<std::string> declared_args;     // names its ARG lines declared
};

class StageWalker {
 public:
  StageWalker(const dockerfile::Dockerfile& dockerfile,
              const dockerfile::ShellLexer& lexer, const GlobalArgs& globals,
              const StageRefs& refs, const PlanOptions& options)
      : dockerfile_(dockerfile),
        lexer_(lexer),
        globals_(globals),
        refs_(refs),
        options_(options) {}

  absl::StatusOr<WalkedStage> Walk(const dockerfile::Stage& stage,
                                   const StageStart& start) const;

 private:
  const dockerfile::Dockerfile& dockerfile_;
  const dockerfile::ShellLexer& lexer_;
  const GlobalArgs& globals_;
  const StageRefs& refs_;
  const PlanOptions& options_;
};

// The --from / from= references of a trigger or instruction, resolved.
absl::StatusOr<std::vector<proto::StageRef>> ResolveSources(
    const dockerfile::Instruction& instruction, int line,
    const StageRefs& refs);

}  // namespace farm::planner

#endif  // FARM_PLANNER_STAGE_WALKER_H_
