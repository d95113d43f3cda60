#include "client/build_inputs.h"

#include <cstdlib>
#include <iostream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "common/fs.h"

namespace farm::client {

absl::StatusOr<DockerfileSource> ReadDockerfile(const std::string& context,
                                                const std::string& file_flag) {
  DockerfileSource source;
  if (file_flag == "-") {
    source.path = "-";
    source.name = "Dockerfile";
    source.content.assign(std::istreambuf_iterator<char>(std::cin),
                          std::istreambuf_iterator<char>());
    return source;
  }
  source.path = file_flag.empty() ? JoinPath(context, "Dockerfile") : file_flag;
  source.name = BaseName(source.path);
  if (IsDirectory(source.path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the Dockerfile ", source.path, " is a directory"));
  }
  absl::StatusOr<std::string> content = ReadFile(source.path);
  if (!content.ok()) {
    return absl::Status(
        content.status().code(),
        absl::StrCat("reading the Dockerfile: ", content.status().message()));
  }
  source.content = *std::move(content);
  return source;
}

absl::StatusOr<std::map<std::string, std::string>> ParseBuildArgs(
    const std::vector<std::string>& flags) {
  std::map<std::string, std::string> out;
  for (const std::string& flag : flags) {
    size_t eq = flag.find('=');
    std::string name = flag.substr(0, eq);
    if (name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--build-arg ", flag, ": the name is empty"));
    }
    if (eq != std::string::npos) {
      out[name] = flag.substr(eq + 1);
    } else if (const char* env = getenv(name.c_str())) {
      out[name] = env;
    }
  }
  return out;
}

}  // namespace farm::client
