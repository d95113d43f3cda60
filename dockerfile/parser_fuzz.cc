// libFuzzer target for the Dockerfile parser: parses arbitrary bytes, and for
// every file that parses, dumps it, renders every instruction and expands it
// with a small variable set. Any crash, hang, leak or sanitizer report is a
// bug. Built and run by scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "dockerfile/ast_dump.h"
#include "dockerfile/dockerfile.h"
#include "dockerfile/expand.h"
#include "dockerfile/format.h"

namespace {

std::optional<std::string> Lookup(absl::string_view name) {
  if (name == "A") return std::string("alpha value");
  if (name == "EMPTY") return std::string();
  if (name == "PORT") return std::string("8080/tcp");
  return std::nullopt;
}

void Exercise(const farm::dockerfile::Instruction& in,
              const farm::dockerfile::ShellLexer& lexer) {
  (void)farm::dockerfile::CanonicalText(in);
  absl::StatusOr<farm::dockerfile::ExpandedInstruction> expanded =
      farm::dockerfile::Expand(in, lexer, Lookup, "Dockerfile");
  if (expanded.ok())
    (void)farm::dockerfile::CanonicalText(expanded->instruction);
  if (const auto* onbuild = in.As<farm::dockerfile::OnbuildInstruction>()) {
    if (onbuild->trigger) Exercise(*onbuild->trigger, lexer);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<farm::dockerfile::Dockerfile> file =
      farm::dockerfile::ParseDockerfile(text, "Dockerfile");
  if (!file.ok()) return 0;
  (void)farm::dockerfile::DumpDockerfile(*file);
  farm::dockerfile::ShellLexer lexer(file->directives.escape_char);
  for (const auto& arg : file->meta_args) Exercise(arg, lexer);
  for (const auto& stage : file->stages) {
    Exercise(stage.from, lexer);
    for (const auto& in : stage.instructions) Exercise(in, lexer);
    (void)file->FindStage(stage.base);
  }
  return 0;
}
