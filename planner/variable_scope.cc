#include "planner/variable_scope.h"

#include "absl/strings/str_cat.h"

namespace farm::planner {

void VariableScope::InheritEnv(const std::vector<std::string>& env) {
  for (const std::string& entry : env) {
    size_t eq = entry.find('=');
    if (eq == std::string::npos) {
      SetEnv(entry, "");
    } else {
      SetEnv(entry.substr(0, eq), entry.substr(eq + 1));
    }
  }
}

void VariableScope::SetEnv(const std::string& name, const std::string& value) {
  current_[name] = {value, false};
  for (auto& [key, existing] : env_) {
    if (key == name) {
      existing = value;
      return;
    }
  }
  env_.emplace_back(name, value);
}

void VariableScope::DeclareArg(const std::string& name,
                               std::optional<std::string> value) {
  if (value.has_value()) current_[name] = {*std::move(value), true};
}

std::optional<std::string> VariableScope::Lookup(
    absl::string_view name) const {
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

std::vector<std::string> VariableScope::EnvList() const {
  std::vector<std::string> out;
  out.reserve(env_.size());
  for (const auto& [key, value] : env_) out.push_back(absl::StrCat(key, "=", value));
  return out;
}

}  // namespace farm::planner
