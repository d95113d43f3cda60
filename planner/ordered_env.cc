#include "planner/ordered_env.h"

#include "absl/strings/str_cat.h"

namespace farm::planner {

void OrderedEnv::Inherit(const std::vector<std::string>& env) {
  for (const std::string& entry : env) {
    size_t eq = entry.find('=');
    if (eq == std::string::npos) {
      Set(entry, "");
    } else {
      Set(entry.substr(0, eq), entry.substr(eq + 1));
    }
  }
}

void OrderedEnv::Set(const std::string& name, const std::string& value) {
  for (auto& [key, existing] : entries_) {
    if (key == name) {
      existing = value;
      return;
    }
  }
  entries_.emplace_back(name, value);
}

std::optional<std::string> OrderedEnv::Get(absl::string_view name) const {
  for (const auto& [key, value] : entries_) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::vector<std::string> OrderedEnv::List() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& [key, value] : entries_) {
    out.push_back(absl::StrCat(key, "=", value));
  }
  return out;
}

}  // namespace farm::planner
