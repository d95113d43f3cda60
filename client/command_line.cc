#include "client/command_line.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace farm::client {

absl::StatusOr<CommandLine> CommandLine::Parse(
    const std::vector<std::string>& args, const FlagSpec& spec) {
  CommandLine out;
  bool flags_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (flags_done || arg.size() < 2 || arg[0] != '-') {
      out.positional_.push_back(arg);
      if (spec.stop_at_positional) flags_done = true;
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    std::string name;
    std::string value;
    bool has_value = false;
    if (absl::StartsWith(arg, "--")) {
      name = arg.substr(2);
    } else {
      name = arg.substr(1);
    }
    size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    auto alias = spec.aliases.find(name);
    if (alias != spec.aliases.end()) name = alias->second;
    if (spec.boolean.count(name)) {
      if (has_value && value != "true" && value != "false") {
        return absl::InvalidArgumentError(
            absl::StrCat("flag ", arg, ": want true or false"));
      }
      out.values_[name].push_back(has_value ? value : "true");
      continue;
    }
    if (!spec.with_value.count(name)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag: ", arg));
    }
    if (!has_value) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("flag needs an argument: ", arg));
      }
      value = args[++i];
    }
    out.values_[name].push_back(value);
  }
  return out;
}

bool CommandLine::Has(absl::string_view name) const {
  return values_.find(name) != values_.end();
}

std::string CommandLine::Get(absl::string_view name,
                             absl::string_view fallback) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::string(fallback);
  return it->second.back();
}

std::vector<std::string> CommandLine::GetAll(absl::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return {};
  return it->second;
}

}  // namespace farm::client
