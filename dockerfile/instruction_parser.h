// Syntax tree node to typed instruction (instructions.h): checks argument
// counts, flags and values with Docker's messages, and reports unknown
// instructions.
#ifndef FARM_DOCKERFILE_INSTRUCTION_PARSER_H_
#define FARM_DOCKERFILE_INSTRUCTION_PARSER_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dockerfile/ast.h"
#include "dockerfile/instructions.h"

namespace farm::dockerfile {

// Takes the node by value (callers that keep theirs pass a copy). Errors are
// kInvalidArgument, "<filename>:<start line>: <message>", e.g.
// "Dockerfile:3: unknown instruction: FOOBAR" or
// "Dockerfile:5: ENV names can not be blank".
absl::StatusOr<Instruction> ParseInstruction(Node node,
                                             absl::string_view filename);

// All instruction keywords, upper case.
const std::vector<std::string>& InstructionKeywords();

}  // namespace farm::dockerfile

#endif  // FARM_DOCKERFILE_INSTRUCTION_PARSER_H_
