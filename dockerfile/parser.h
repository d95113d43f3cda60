// The Dockerfile parser: text to syntax tree (ast.h) with Docker's rules for
// directives, continuations, comments, flags, exec/shell form and heredocs.
// It accepts unknown instruction keywords; instruction_parser.h rejects them.
#ifndef FARM_DOCKERFILE_PARSER_H_
#define FARM_DOCKERFILE_PARSER_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dockerfile/ast.h"

namespace farm::dockerfile {

// Parses a whole Dockerfile. Errors are kInvalidArgument with a message that
// starts "<filename>:<line>: " (e.g. "Dockerfile:3: unterminated heredoc").
// Never crashes on any input; runs in time linear in the input, except for
// heredoc and JSON scanning which stay near-linear.
absl::StatusOr<Ast> ParseAst(absl::string_view content,
                             absl::string_view filename);

// Parses one logical line (no heredoc bodies) into a node, with `escape` as
// the escape character. Errors carry no location.
absl::StatusOr<Node> ParseLine(absl::string_view line, char escape);

}  // namespace farm::dockerfile

#endif  // FARM_DOCKERFILE_PARSER_H_
