#include "planner/variable_scope.h"

#include "absl/strings/str_cat.h"

namespace farm::planner {

void VariableScope::InheritEnv(const std::vector<std::string>& env) {
  env_.Inherit(env);
  for (const auto& [key, value] : env_.entries())
    current_[key] = {value, false};
}

void VariableScope::SetEnv(const std::string& name, const std::string& value) {
  current_[name] = {value, false};
  env_.Set(name, value);
}

void VariableScope::DeclareArg(const std::string& name,
                               std::optional<std::string> value) {
  if (value.has_value()) current_[name] = {*std::move(value), true};
}

std::optional<std::string> VariableScope::Lookup(absl::string_view name) const {
  auto it = current_.find(name);
  if (it == current_.end()) return std::nullopt;
  return it->second.value;
}

dockerfile::VarLookup VariableScope::AsLookup() const {
  return [this](absl::string_view name) { return Lookup(name); };
}

bool VariableScope::IsVisibleArg(const std::string& name) const {
  auto it = current_.find(name);
  return it != current_.end() && it->second.from_arg;
}

std::map<std::string, std::string> VariableScope::VisibleArgs() const {
  std::map<std::string, std::string> out;
  for (const auto& [name, binding] : current_) {
    if (binding.from_arg) out[name] = binding.value;
  }
  return out;
}

std::vector<std::string> VariableScope::EnvList() const { return env_.List(); }

}  // namespace farm::planner
