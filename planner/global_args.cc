#include "planner/global_args.h"

#include "common/status_macros.h"
#include "dockerfile/expand.h"

namespace farm::planner {

absl::StatusOr<GlobalArgs> GlobalArgs::Evaluate(
    const dockerfile::Dockerfile& dockerfile, const PlanOptions& options,
    const dockerfile::ShellLexer& lexer) {
  GlobalArgs args;
  for (const auto& [name, value] :
       PlatformArgs(options.build_platform, options.target_platform)) {
    args.values_[name] = value;
  }
  for (const dockerfile::Instruction& instruction : dockerfile.meta_args) {
    ASSIGN_OR_RETURN(dockerfile::ExpandedInstruction expanded,
                     dockerfile::Expand(instruction, lexer, args.AsLookup(),
                                        dockerfile.filename));
    const auto* arg = expanded.instruction.As<dockerfile::ArgInstruction>();
    if (arg == nullptr) continue;
    for (const dockerfile::ArgDefinition& def : arg->args) {
      args.declared_.insert(def.name);
      auto override_it = options.build_args.find(def.name);
      if (override_it != options.build_args.end()) {
        args.values_[def.name] = override_it->second;
      } else if (def.default_value.has_value()) {
        args.values_[def.name] = def.default_value;
      } else if (!args.values_.count(def.name)) {
        args.values_[def.name] = std::nullopt;
      }
    }
  }
  return args;
}

std::optional<std::string> GlobalArgs::Lookup(absl::string_view name) const {
  auto it = values_.find(std::string(name));
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

dockerfile::VarLookup GlobalArgs::AsLookup() const {
  return [this](absl::string_view name) { return Lookup(name); };
}

std::map<std::string, std::string> GlobalArgs::DeclaredValues() const {
  std::map<std::string, std::string> out;
  for (const std::string& name : declared_) {
    std::optional<std::string> value = Lookup(name);
    if (value.has_value()) out[name] = *value;
  }
  return out;
}

}  // namespace farm::planner
