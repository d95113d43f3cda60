// Variable substitution in instructions, exactly where Docker substitutes:
// ADD, COPY, ENV, EXPOSE, FROM, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR, ARG
// names and defaults, and flag values (--chown, --chmod, --exclude,
// --checksum, --platform, every --mount field). RUN, CMD, ENTRYPOINT, SHELL,
// HEALTHCHECK and ONBUILD are left to the shell or the child build.
#ifndef FARM_DOCKERFILE_EXPAND_H_
#define FARM_DOCKERFILE_EXPAND_H_

#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dockerfile/instructions.h"
#include "dockerfile/shell_lexer.h"

namespace farm::dockerfile {

struct ExpandedInstruction {
  Instruction instruction;
  // Variables the substitution read that were set / not set in the lookup.
  std::set<std::string> used;
  std::set<std::string> unset;
};

// Returns `instruction` with variables replaced using `lexer` (built with the
// Dockerfile's escape character) and `lookup`. Every value of an instruction
// sees the same lookup (`ENV A=1 B=$A` reads the old A). Notes:
//  - FROM expands base and --platform; pass the global (meta) ARGs.
//  - COPY --from is not expanded: Docker resolves it as a stage name or
//    index first and, failing that, as an image reference expanded with the
//    global ARGs only (the planner does that).
//  - COPY/ADD heredoc bodies are expanded, quotes kept, only when the
//    delimiter was unquoted; RUN heredocs are left to the shell.
//  - RUN --mount values are parsed and validated here (filling `mounts`).
//  - EXPOSE words split after expansion; ports and STOPSIGNAL are validated.
// Errors: kInvalidArgument "<filename>:<line>: <message>".
absl::StatusOr<ExpandedInstruction> Expand(const Instruction& instruction,
                                           const ShellLexer& lexer,
                                           const VarLookup& lookup,
                                           absl::string_view filename);

}  // namespace farm::dockerfile

#endif  // FARM_DOCKERFILE_EXPAND_H_
