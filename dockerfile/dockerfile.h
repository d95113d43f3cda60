// A parsed Dockerfile: directives, the ARGs before the first FROM, and the
// build stages with their typed instructions. This is the entry point the
// planner uses.
#ifndef FARM_DOCKERFILE_DOCKERFILE_H_
#define FARM_DOCKERFILE_DOCKERFILE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dockerfile/ast.h"
#include "dockerfile/directives.h"
#include "dockerfile/instructions.h"

namespace farm::dockerfile {

struct Stage {
  int index = 0;
  // The AS name as written ("" when none). Stage names compare
  // case-insensitively; use HasName.
  std::string name;
  // FROM's unexpanded base (image reference or stage name) and --platform.
  std::string base;
  std::string platform;
  // The FROM instruction itself.
  Instruction from;
  // The instructions after FROM, in order.
  std::vector<Instruction> instructions;

  bool HasName(absl::string_view ref) const;
};

struct Dockerfile {
  std::string filename;
  Directives directives;
  // ARG instructions before the first FROM (global scope, FROM lines only).
  std::vector<Instruction> meta_args;
  std::vector<Stage> stages;
  // Parser and lint findings, minus those `# check=skip=` disables.
  std::vector<Warning> warnings;

  // The stage a `FROM x` / `COPY --from=x` / `--mount from=x` names: by name
  // (case-insensitive) or, for a decimal number, by index. Null if none.
  const Stage* FindStage(absl::string_view ref) const;
};

// Parses a Dockerfile. `filename` prefixes every error message
// ("Dockerfile:3: unknown instruction: FOOBAR"); errors are kInvalidArgument.
// As in Docker, any instruction error fails the parse, even in a stage that
// will not be built; only ONBUILD triggers are checked when used.
absl::StatusOr<Dockerfile> ParseDockerfile(absl::string_view content,
                                           absl::string_view filename);

}  // namespace farm::dockerfile

#endif  // FARM_DOCKERFILE_DOCKERFILE_H_
