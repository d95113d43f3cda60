// The inputs shared by `farm plan` and `farm build`: where the Dockerfile
// is, what it says, and the --build-arg values.
#ifndef FARM_CLIENT_BUILD_INPUTS_H_
#define FARM_CLIENT_BUILD_INPUTS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace farm::client {

struct DockerfileSource {
  std::string path;  // as found on disk ("-" for standard input)
  std::string name;  // how errors name it: its base name
  std::string content;
};

// `-f FILE` is relative to the working directory, as in docker build; without
// it the Dockerfile is CONTEXT/Dockerfile. "-" reads standard input.
absl::StatusOr<DockerfileSource> ReadDockerfile(const std::string& context,
                                                const std::string& file_flag);

// `--build-arg K=V` sets K; `--build-arg K` takes K from the environment and
// is dropped when the environment has no K, as Docker does.
absl::StatusOr<std::map<std::string, std::string>> ParseBuildArgs(
    const std::vector<std::string>& flags);

}  // namespace farm::client

#endif  // FARM_CLIENT_BUILD_INPUTS_H_
