// How instructions name other stages. `FROM x` means an earlier stage called
// x (case-insensitive) or else an image; `--from=x` / `from=x` means a stage
// index, any stage's name, or else an image (expanded with the global ARGs).
#ifndef FARM_PLANNER_STAGE_REFS_H_
#define FARM_PLANNER_STAGE_REFS_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "dockerfile/dockerfile.h"
#include "dockerfile/shell_lexer.h"
#include "planner/global_args.h"
#include "proto/plan.pb.h"

namespace farm::planner {

class StageRefs {
 public:
  StageRefs(const dockerfile::Dockerfile& dockerfile,
            const dockerfile::ShellLexer& lexer, const GlobalArgs& globals)
      : dockerfile_(dockerfile), lexer_(lexer), globals_(globals) {}

  // The earlier stage `FROM name` builds on, or nullopt for an image.
  std::optional<int> FindBase(absl::string_view name, int stage_index) const;

  // Resolves a --from / from= reference made at `line`. kInvalidArgument
  // "<file>:<line>: ..." for a stage index out of range or an image name
  // that fails to expand.
  absl::StatusOr<proto::StageRef> FindSource(absl::string_view ref,
                                             int line) const;

 private:
  const dockerfile::Dockerfile& dockerfile_;
  const dockerfile::ShellLexer& lexer_;
  const GlobalArgs& globals_;
};

}  // namespace farm::planner

#endif  // FARM_PLANNER_STAGE_REFS_H_
