#include "dockerfile/builder_flags.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "dockerfile/suggest.h"
#include "dockerfile/text.h"

namespace farm::dockerfile {

std::string ExtractBuilderFlags(absl::string_view line,
                                std::vector<std::string>* flags) {
  enum { kSpaces, kWord, kQuote } phase = kSpaces;
  std::string word;
  char quote = 0;
  bool blank_ok = false;
  for (size_t pos = 0; pos <= line.size(); ++pos) {
    bool at_end = pos == line.size();
    unsigned char ch = at_end ? 0 : static_cast<unsigned char>(line[pos]);
    if (phase == kSpaces) {
      if (at_end) break;
      if (IsGoSpaceByte(ch)) continue;
      // Only words that start with "--" are flags.
      if (ch != '-' || pos + 1 == line.size() || line[pos + 1] != '-') {
        return std::string(line.substr(pos));
      }
      phase = kWord;
    }
    if (at_end) {
      if (word != "--" && (blank_ok || !word.empty())) flags->push_back(word);
      break;
    }
    if (phase == kWord) {
      if (IsGoSpaceByte(ch)) {
        phase = kSpaces;
        if (word == "--") return std::string(line.substr(pos));
        if (blank_ok || !word.empty()) flags->push_back(word);
        word.clear();
        blank_ok = false;
        continue;
      }
      if (ch == '\'' || ch == '"') {
        quote = static_cast<char>(ch);
        blank_ok = true;
        phase = kQuote;
        continue;
      }
      if (ch == '\\') {
        if (pos + 1 == line.size()) continue;
        ++pos;
        ch = static_cast<unsigned char>(line[pos]);
      }
      word.push_back(static_cast<char>(ch));
      continue;
    }
    // kQuote
    if (ch == static_cast<unsigned char>(quote)) {
      phase = kWord;
      continue;
    }
    if (ch == '\\') {
      if (pos + 1 == line.size()) {
        phase = kWord;
        continue;
      }
      ++pos;
      ch = static_cast<unsigned char>(line[pos]);
    }
    word.push_back(static_cast<char>(ch));
  }
  return "";
}

void FlagSet::AddBool(const std::string& name) {
  flags_[name] = Flag{Type::kBool, "false", {}, false};
}

void FlagSet::AddString(const std::string& name, std::string default_value) {
  flags_[name] = Flag{Type::kString, std::move(default_value), {}, false};
}

void FlagSet::AddStrings(const std::string& name) {
  flags_[name] = Flag{Type::kStrings, "", {}, false};
}

absl::Status FlagSet::Parse() {
  for (const std::string& full : args_) {
    if (full.substr(0, 2) != "--") {
      return absl::InvalidArgumentError(
          absl::StrCat("arg should start with -- : ", full));
    }
    if (full == "--") return absl::OkStatus();
    std::string name = full.substr(2);
    std::string value;
    size_t eq = name.find('=');
    bool has_value = eq != std::string::npos;
    if (has_value) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    auto it = flags_.find(name);
    if (it == flags_.end()) {
      std::vector<std::string> names;
      for (const auto& [known, unused] : flags_) names.push_back(known);
      return absl::InvalidArgumentError(
          AppendSuggestion(absl::StrCat("unknown flag: ", name), name, names,
                           /*case_sensitive=*/true));
    }
    Flag& flag = it->second;
    if (flag.used && flag.type != Type::kStrings) {
      return absl::InvalidArgumentError(
          absl::StrCat("duplicate flag specified: ", name));
    }
    flag.used = true;
    switch (flag.type) {
      case Type::kBool: {
        if (has_value && value.empty()) {
          return absl::InvalidArgumentError(
              absl::StrCat("missing a value on flag: ", name));
        }
        std::string lower = absl::AsciiStrToLower(value);
        if (lower.empty() || lower == "true") {
          flag.value = "true";
        } else if (lower == "false") {
          flag.value = "false";
        } else {
          return absl::InvalidArgumentError(absl::StrCat(
              "expecting boolean value for flag ", name, ", not: ", value));
        }
        break;
      }
      case Type::kString:
        if (!has_value) {
          return absl::InvalidArgumentError(
              absl::StrCat("missing a value on flag: ", name));
        }
        flag.value = value;
        break;
      case Type::kStrings:
        if (!has_value) {
          return absl::InvalidArgumentError(
              absl::StrCat("missing a value on flag: ", name));
        }
        flag.values.push_back(value);
        break;
    }
  }
  return absl::OkStatus();
}

bool FlagSet::Bool(const std::string& name) const {
  auto it = flags_.find(name);
  return it != flags_.end() && it->second.value == "true";
}

const std::string& FlagSet::String(const std::string& name) const {
  static const std::string* const kEmpty = new std::string();
  auto it = flags_.find(name);
  return it == flags_.end() ? *kEmpty : it->second.value;
}

const std::vector<std::string>& FlagSet::Strings(
    const std::string& name) const {
  static const std::vector<std::string>* const kEmpty =
      new std::vector<std::string>();
  auto it = flags_.find(name);
  return it == flags_.end() ? *kEmpty : it->second.values;
}

bool FlagSet::Used(const std::string& name) const {
  auto it = flags_.find(name);
  return it != flags_.end() && it->second.used;
}

}  // namespace farm::dockerfile
