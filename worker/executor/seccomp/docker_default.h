// Docker 20.10's default seccomp policy in farm's notation (README.md here),
// embedded at build time from docker_default.policy.
#ifndef FARM_WORKER_EXECUTOR_SECCOMP_DOCKER_DEFAULT_H_
#define FARM_WORKER_EXECUTOR_SECCOMP_DOCKER_DEFAULT_H_

#include "absl/strings/string_view.h"

namespace farm::executor {

// The policy's text, byte for byte as in docker_default.policy.
absl::string_view DockerDefaultPolicyText();

}  // namespace farm::executor

#endif  // FARM_WORKER_EXECUTOR_SECCOMP_DOCKER_DEFAULT_H_
