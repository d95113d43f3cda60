// BuildOptions: the `farm build` command line, parsed and checked before
// anything is read or sent.
#ifndef FARM_CLIENT_BUILD_BUILD_OPTIONS_H_
#define FARM_CLIENT_BUILD_BUILD_OPTIONS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/build/output_files.h"
#include "client/build/secrets.h"
#include "client/progress/printer_factory.h"
#include "worker/executor/executor.h"

namespace farm::client::build {

struct BuildOptions {
  std::string context;
  std::vector<std::string> tags;  // -t, --tag
  std::string file;               // -f, --file; "" is CONTEXT/Dockerfile
  std::string target;             // --target
  std::map<std::string, std::string> build_args;  // --build-arg K[=V]
  bool no_cache = false;
  bool pull = false;
  bool push = false;
  bool quiet = false;  // -q: print only the image id
  bool help = false;
  std::string platform;  // --platform
  progress::ProgressMode progress = progress::ProgressMode::kAuto;
  std::string remote;  // --remote, else $FARM_REMOTE; "" is embedded
  std::vector<OutputSpec> outputs;            // -o, --output
  std::vector<SecretSource> secrets;          // --secret
  std::map<std::string, std::string> labels;  // --label K[=V]
  std::string iidfile;  // --iidfile: where the image id is written
  // --allow: entitlements the build asks for (security.insecure,
  // network.host); the scheduler must also allow them.
  std::vector<std::string> entitlements;
  // Keep file hashes between builds of this context (off for `-`).
  bool stat_cache = true;
  // --run-memory, --run-pids, --run-cpus, --run-timeout, --run-disk: limits
  // of each RUN, lowering the workers' (0: the worker's).
  executor::ResourceLimits run_limits;
};

// `args` are the words after "build"; `env_remote` is $FARM_REMOTE ("" if
// unset). Errors are kInvalidArgument naming the flag: unknown flags,
// missing values, a bad --progress, --output, --secret or --run-* value,
// not exactly one CONTEXT, -q with an output on standard output, --push
// without a tag.
absl::StatusOr<BuildOptions> ParseBuildOptions(
    const std::vector<std::string>& args, const std::string& env_remote);

inline constexpr char kBuildUsage[] =
    "usage: farm [--root DIR] build [-t REF]... [-f FILE] [--target STAGE]\n"
    "           [--build-arg K[=V]]... [--no-cache] [--pull] [--push]\n"
    "           [--platform P[,P...]] [--progress auto|plain|tty|json] [-q]\n"
    "           [--secret id=ID[,src=FILE|,env=VAR]]... [--label K=V]...\n"
    "           [--iidfile FILE] [--remote ADDR]\n"
    "           [--allow security.insecure|network.host]...\n"
    "           [--run-memory SIZE] [--run-pids N] [--run-cpus N]\n"
    "           [--run-timeout DURATION] [--run-disk SIZE]\n"
    "           [--output type=docker|oci,dest=FILE]... CONTEXT|-\n";

}  // namespace farm::client::build

#endif  // FARM_CLIENT_BUILD_BUILD_OPTIONS_H_
