#include "worker/build_vars.h"

#include "absl/strings/str_cat.h"
#include "planner/build_args.h"

namespace farm::worker {

void BuildVars::InheritEnv(const std::vector<std::string>& env) {
  env_.Inherit(env);
}

void BuildVars::SetEnv(const std::string& key, const std::string& value) {
  env_.Set(key, value);
}

void BuildVars::DeclareArg(const std::string& name,
                           const std::optional<std::string>& default_value) {
  declared_.push_back(name);
  std::optional<std::string> value;
  if (auto it = build_args_.find(name); it != build_args_.end()) {
    value = it->second;
  } else if (default_value.has_value()) {
    value = default_value;
  } else if (auto meta = meta_args_.find(name); meta != meta_args_.end()) {
    value = meta->second;
  }
  if (value.has_value()) SetEnv(name, *value);
}

std::optional<std::string> BuildVars::Lookup(const std::string& key) const {
  return env_.Get(key);
}

std::vector<std::string> BuildVars::Environment() const {
  std::vector<std::string> out;
  bool has_path = false;
  for (const auto& [name, value] : env_.entries()) {
    has_path |= name == "PATH";
    out.push_back(absl::StrCat(name, "=", value));
  }
  if (!has_path) out.push_back(absl::StrCat("PATH=", kDefaultPath));
  // BuildKit passes the proxy build args to every RUN without recording
  // them anywhere.
  for (const auto& [name, value] : build_args_) {
    if (planner::IsProxyArg(name) && !Lookup(name).has_value()) {
      out.push_back(absl::StrCat(name, "=", value));
    }
  }
  return out;
}

std::vector<std::string> BuildVars::HistoryArgs() const {
  if (declared_.empty()) return {};
  std::vector<std::string> out = {absl::StrCat("|", declared_.size())};
  for (const std::string& name : declared_) {
    out.push_back(absl::StrCat(name, "=", Lookup(name).value_or("")));
  }
  return out;
}

}  // namespace farm::worker
