#include "client/plan_command.h"

#include <iostream>

#include "client/build_inputs.h"
#include "client/command_line.h"
#include "client/plan_output.h"
#include "dockerfile/dockerfile.h"
#include "planner/planner.h"

namespace farm::client {

namespace {

constexpr char kUsage[] =
    "usage: farm plan [-f FILE] [--target T] [--build-arg K=V]... "
    "[--format text|json] CONTEXT\n";

int Fail(const absl::Status& status) {
  std::cerr << status.message() << "\n";
  return 1;
}

}  // namespace

int RunPlanCommand(const std::vector<std::string>& args) {
  FlagSpec spec;
  spec.with_value = {"file", "target", "build-arg", "format", "platform"};
  spec.boolean = {"help"};
  spec.aliases = {{"f", "file"}, {"h", "help"}};
  absl::StatusOr<CommandLine> cli = CommandLine::Parse(args, spec);
  if (!cli.ok()) {
    std::cerr << "farm plan: " << cli.status().message() << "\n" << kUsage;
    return 2;
  }
  if (cli->Has("help")) {
    std::cout << kUsage;
    return 0;
  }
  if (cli->positional().size() != 1) {
    std::cerr << "farm plan: want exactly one CONTEXT\n" << kUsage;
    return 2;
  }
  std::string format = cli->Get("format", "text");
  if (format != "text" && format != "json") {
    std::cerr << "farm plan: --format must be text or json\n";
    return 2;
  }

  absl::StatusOr<DockerfileSource> source =
      ReadDockerfile(cli->positional()[0], cli->Get("file"));
  if (!source.ok()) return Fail(source.status());
  absl::StatusOr<dockerfile::Dockerfile> parsed =
      dockerfile::ParseDockerfile(source->content, source->name);
  if (!parsed.ok()) return Fail(parsed.status());
  for (const dockerfile::Warning& warning : parsed->warnings) {
    std::cerr << "WARNING: " << warning.rule << ": " << warning.message << " ("
              << source->name << ":" << warning.line << ")\n";
  }

  planner::PlanOptions options;
  options.target = cli->Get("target");
  absl::StatusOr<std::map<std::string, std::string>> build_args =
      ParseBuildArgs(cli->GetAll("build-arg"));
  if (!build_args.ok()) return Fail(build_args.status());
  options.build_args = *std::move(build_args);
  if (cli->Has("platform")) {
    absl::StatusOr<planner::Platform> platform =
        planner::Platform::Parse(cli->Get("platform"));
    if (!platform.ok()) return Fail(platform.status());
    options.target_platform = *platform;
  }
  absl::StatusOr<proto::StageGraph> graph = planner::Plan(*parsed, options);
  if (!graph.ok()) return Fail(graph.status());
  for (const std::string& warning : graph->warnings()) {
    std::cerr << "WARNING: " << warning << "\n";
  }
  std::cout << (format == "json" ? PlanToJson(*graph) : PlanToText(*graph));
  return 0;
}

}  // namespace farm::client
