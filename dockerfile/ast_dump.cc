#include "dockerfile/ast_dump.h"

#include "absl/strings/str_cat.h"
#include "dockerfile/format.h"
#include "dockerfile/text.h"

namespace farm::dockerfile {
namespace {

// Instructions whose arguments may be a JSON array.
bool HasForm(const Instruction& in) {
  return in.As<RunInstruction>() || in.As<CmdInstruction>() ||
         in.As<EntrypointInstruction>() || in.As<ShellInstruction>() ||
         in.As<AddInstruction>() || in.As<CopyInstruction>() ||
         in.As<VolumeInstruction>() || in.As<HealthcheckInstruction>();
}

void DumpInstruction(const Instruction& in, const std::string& indent,
                     std::string* out) {
  absl::StrAppend(out, indent, "L", in.start_line);
  if (in.end_line != in.start_line) absl::StrAppend(out, "-", in.end_line);
  absl::StrAppend(out, " ", in.Kind());
  if (HasForm(in)) absl::StrAppend(out, in.json ? " exec" : " shell");
  absl::StrAppend(out, "\n");
  const std::string inner = indent + "  ";
  for (const std::string& flag : in.flags) {
    absl::StrAppend(out, inner, "flag ", QuoteString(flag), "\n");
  }
  for (const std::string& arg : in.args) {
    absl::StrAppend(out, inner, "arg ", QuoteString(arg), "\n");
  }
  for (const Heredoc& h : in.heredocs) {
    absl::StrAppend(out, inner, "heredoc ", QuoteString(h.name), " fd=", h.fd,
                    " chomp=", h.chomp ? "true" : "false",
                    " expand=", h.expand ? "true" : "false", " ",
                    QuoteString(h.content), "\n");
  }
  if (const auto* onbuild = in.As<OnbuildInstruction>()) {
    if (onbuild->trigger) {
      absl::StrAppend(out, inner, "trigger\n");
      DumpInstruction(*onbuild->trigger, inner + "  ", out);
    } else {
      absl::StrAppend(out, inner, "trigger-error ",
                      QuoteString(onbuild->trigger_error.message()), "\n");
    }
  }
  absl::StrAppend(out, inner, "= ", CanonicalText(in), "\n");
}

}  // namespace

std::string DumpDockerfile(const Dockerfile& file) {
  std::string out;
  const Directives& d = file.directives;
  for (const auto& [name, directive] :
       {std::pair<const char*, const std::optional<Directive>*>{"syntax",
                                                                &d.syntax},
        {"escape", &d.escape},
        {"check", &d.check}}) {
    if (directive->has_value()) {
      absl::StrAppend(&out, "directive ", name, " ",
                      QuoteString((*directive)->value), " L",
                      (*directive)->line, "\n");
    }
  }
  for (const Warning& w : file.warnings) {
    absl::StrAppend(&out, "warning L", w.line, " ", w.rule, " ",
                    QuoteString(w.message), "\n");
  }
  for (const Instruction& arg : file.meta_args) {
    absl::StrAppend(&out, "meta\n");
    DumpInstruction(arg, "  ", &out);
  }
  for (const Stage& stage : file.stages) {
    absl::StrAppend(&out, "stage ", stage.index);
    if (!stage.name.empty())
      absl::StrAppend(&out, " ", QuoteString(stage.name));
    absl::StrAppend(&out, "\n");
    DumpInstruction(stage.from, "  ", &out);
    for (const Instruction& in : stage.instructions) {
      DumpInstruction(in, "  ", &out);
    }
  }
  return out;
}

}  // namespace farm::dockerfile
