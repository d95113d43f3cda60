// `farm plan`: parse a Dockerfile, plan the target, print the stages the
// build would run.
#ifndef FARM_CLIENT_PLAN_COMMAND_H_
#define FARM_CLIENT_PLAN_COMMAND_H_

#include <string>
#include <vector>

namespace farm::client {

// `args` are the words after "plan". Returns the exit status; output goes to
// stdout, errors to stderr as "Dockerfile:LINE: message".
int RunPlanCommand(const std::vector<std::string>& args);

}  // namespace farm::client

#endif  // FARM_CLIENT_PLAN_COMMAND_H_
