#include "dockerfile/lint.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "dockerfile/dockerfile.h"
#include "dockerfile/text.h"

namespace farm::dockerfile {
namespace {

bool IsLower(absl::string_view s) { return absl::AsciiStrToLower(s) == s; }
bool IsUpper(absl::string_view s) { return absl::AsciiStrToUpper(s) == s; }

void LintInstruction(const Instruction& in, std::vector<Warning>* out) {
  auto warn = [&](const char* rule, std::string message) {
    out->push_back(Warning{in.start_line, rule, std::move(message)});
  };
  if (in.As<MaintainerInstruction>()) {
    warn("MaintainerDeprecated",
         "Maintainer instruction is deprecated in favor of using label");
  }
  const std::vector<KeyValue>* pairs = nullptr;
  if (const auto* env = in.As<EnvInstruction>()) pairs = &env->vars;
  if (const auto* label = in.As<LabelInstruction>()) pairs = &label->labels;
  if (pairs != nullptr) {
    for (const KeyValue& kv : *pairs) {
      if (kv.legacy) {
        std::string kind(in.Kind());
        warn("LegacyKeyValueFormat",
             absl::StrCat("\"", kind,
                          " key=value\" should be used instead of "
                          "legacy \"",
                          kind, " key value\" format"));
        break;
      }
    }
  }
  const CommandLine* command = nullptr;
  if (const auto* cmd = in.As<CmdInstruction>()) command = &cmd->command;
  if (const auto* ep = in.As<EntrypointInstruction>()) command = &ep->command;
  if (command != nullptr && command->shell_form && !command->args.empty()) {
    warn("JSONArgsRecommended",
         absl::StrCat("JSON arguments recommended for ", in.Kind(),
                      " to prevent unintended behavior related to OS "
                      "signals"));
  }
}

}  // namespace

void Lint(const Dockerfile& file, std::vector<Warning>* out) {
  std::set<std::string> seen;
  for (const Stage& stage : file.stages) {
    const Instruction& from = stage.from;
    if (!stage.name.empty()) {
      if (!IsLower(stage.name)) {
        out->push_back(Warning{
            from.start_line, "StageNameCasing",
            absl::StrCat("Stage name '", stage.name, "' should be lowercase")});
      }
      // The AS keyword is the second argument; its case should follow FROM's.
      const std::string& as = from.args[1];
      if ((IsUpper(from.keyword) && !IsUpper(as)) ||
          (IsLower(from.keyword) && !IsLower(as))) {
        out->push_back(Warning{from.start_line, "FromAsCasing",
                               absl::StrCat("'", as, "' and '", from.keyword,
                                            "' keywords' casing do not "
                                            "match")});
      }
      std::string lower = absl::AsciiStrToLower(stage.name);
      if (lower == "scratch" || lower == "context") {
        out->push_back(
            Warning{from.start_line, "ReservedStageName",
                    absl::StrCat("Stage name should not use the same name as "
                                 "reserved stage ",
                                 GoQuote(lower))});
      }
      if (!seen.insert(lower).second) {
        out->push_back(
            Warning{from.start_line, "DuplicateStageName",
                    absl::StrCat("Duplicate stage name ", GoQuote(lower),
                                 ", stage names should be "
                                 "unique")});
      }
    }
    for (const Instruction& in : stage.instructions) LintInstruction(in, out);
  }
}

std::vector<Warning> FilterWarnings(const Directives& directives,
                                    std::vector<Warning> warnings) {
  if (!directives.check) return warnings;
  absl::StatusOr<CheckOptions> check =
      ParseCheckOptions(directives.check->value);
  if (!check.ok()) return warnings;
  if (check->skip_all) return {};
  std::vector<Warning> kept;
  for (Warning& w : warnings) {
    bool skipped = false;
    for (const std::string& rule : check->skip) skipped |= rule == w.rule;
    if (!skipped) kept.push_back(std::move(w));
  }
  return kept;
}

}  // namespace farm::dockerfile
