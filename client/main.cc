// The farm command line: global flags, then one subcommand.
#include <iostream>
#include <string>
#include <vector>

#include "client/plan_command.h"

namespace {

constexpr char kUsage[] =
    "usage: farm [--root DIR] COMMAND [ARGS...]\n"
    "\n"
    "commands:\n"
    "  plan     print the stages a build of a Dockerfile would run\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" ||
      args[0] == "help") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  std::string command = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "plan") return farm::client::RunPlanCommand(rest);
  std::cerr << "farm: unknown command \"" << command << "\"\n" << kUsage;
  return 2;
}
