// Docker's default seccomp profile (moby's profiles/seccomp/default.json,
// see README.md here), embedded at build time from docker_default.json.
#ifndef FARM_WORKER_EXECUTOR_SECCOMP_DOCKER_DEFAULT_H_
#define FARM_WORKER_EXECUTOR_SECCOMP_DOCKER_DEFAULT_H_

#include "absl/strings/string_view.h"

namespace farm::executor {

// The profile's JSON text, byte for byte as in docker_default.json.
absl::string_view DockerDefaultProfileJson();

}  // namespace farm::executor

#endif  // FARM_WORKER_EXECUTOR_SECCOMP_DOCKER_DEFAULT_H_
