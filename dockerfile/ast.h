// The Dockerfile syntax tree: one Node per instruction, as the text was
// written (keyword, flags, arguments, heredocs, line range), before any
// instruction-specific meaning is attached. See instructions.h for that.
#ifndef FARM_DOCKERFILE_AST_H_
#define FARM_DOCKERFILE_AST_H_

#include <string>
#include <vector>

#include "dockerfile/directives.h"
#include "dockerfile/heredoc.h"

namespace farm::dockerfile {

// An instruction as written. Shared by the syntax tree (Node) and the typed
// instruction (Instruction), which keeps it for messages and dumps.
struct WrittenInstruction {
  // The keyword as written ("RUN", "run", "Copy", ...); empty only for a
  // line that held nothing but an escape character.
  std::string keyword;
  // The instruction's logical line: continuation lines joined, comments and
  // escape characters at line ends removed. Heredoc bodies are not included.
  std::string original;
  // Leading `--name[=value]` words, quotes resolved.
  std::vector<std::string> flags;
  // Arguments as the instruction's argument rule produced them.
  std::vector<std::string> args;
  // The arguments were a JSON array (exec form).
  bool json = false;
  // Heredoc bodies that followed the line, in order.
  std::vector<Heredoc> heredocs;
  // 1-based, inclusive; a heredoc body is part of the range.
  int start_line = 0;
  int end_line = 0;
};

struct Node : WrittenInstruction {
  // ONBUILD's trigger instruction (exactly one element), else empty.
  std::vector<Node> trigger;
};

// A non-fatal finding, named after the BuildKit build check it matches
// (NoEmptyContinuation, MaintainerDeprecated, ...).
struct Warning {
  int line = 0;
  std::string rule;
  std::string message;
};

struct Ast {
  Directives directives;
  std::vector<Node> nodes;
  std::vector<Warning> warnings;
};

}  // namespace farm::dockerfile

#endif  // FARM_DOCKERFILE_AST_H_
