#include "common/command_flags.h"

#include <cstring>

#include "absl/strings/str_split.h"

namespace farm {

void UnderscoreFlagNames(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--") == 0) return;
    if (strncmp(argv[i], "--", 2) != 0) continue;
    for (char* c = argv[i] + 2; *c != '\0' && *c != '='; ++c) {
      if (*c == '-') *c = '_';
    }
  }
}

std::vector<std::string> TakeRepeatedFlag(int* argc, char** argv,
                                          const std::string& name) {
  const std::string flag = "--" + name;
  std::vector<std::string> values;
  auto add = [&values](const std::string& value) {
    for (absl::string_view part :
         absl::StrSplit(value, ',', absl::SkipEmpty())) {
      values.emplace_back(part);
    }
  };
  int out = 1;
  for (int i = 1; i < *argc; ++i) {
    std::string arg = argv[i];
    if (arg == flag && i + 1 < *argc) {
      add(argv[++i]);
    } else if (arg.rfind(flag + "=", 0) == 0) {
      add(arg.substr(flag.size() + 1));
    } else {
      argv[out++] = argv[i];
    }
  }
  *argc = out;
  argv[out] = nullptr;
  return values;
}

}  // namespace farm
