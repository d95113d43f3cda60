#include "client/build/build_options.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/build_inputs.h"
#include "client/command_line.h"
#include "common/status_macros.h"
#include "worker/executor/limits.h"

namespace farm::client::build {
namespace {

// `value` of flag `flag` parsed by `parse`, or `fallback` when not given.
template <typename T, typename Parse>
absl::StatusOr<T> Optional(const CommandLine& cli, const char* flag,
                           Parse parse, T fallback) {
  if (!cli.Has(flag)) return fallback;
  absl::StatusOr<T> value = parse(cli.Get(flag));
  if (!value.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": ", value.status().message()));
  }
  return value;
}

// The --run-* flags: limits of each RUN that lower the workers'.
absl::StatusOr<executor::ResourceLimits> ParseRunLimits(
    const CommandLine& cli) {
  executor::ResourceLimits limits;
  ASSIGN_OR_RETURN(
      limits.memory_bytes,
      Optional<uint64_t>(cli, "run-memory", executor::ParseBytes, 0));
  auto count = [](absl::string_view text) -> absl::StatusOr<int64_t> {
    int64_t n = 0;
    if (!absl::SimpleAtoi(text, &n) || n < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", text, "\" is not a count"));
    }
    return n;
  };
  ASSIGN_OR_RETURN(limits.pids, Optional<int64_t>(cli, "run-pids", count, 0));
  ASSIGN_OR_RETURN(limits.cpus,
                   Optional<double>(cli, "run-cpus", executor::ParseCpus, 0));
  ASSIGN_OR_RETURN(
      limits.timeout,
      Optional<absl::Duration>(cli, "run-timeout", executor::ParseTimeout,
                               absl::ZeroDuration()));
  ASSIGN_OR_RETURN(
      limits.disk_bytes,
      Optional<uint64_t>(cli, "run-disk", executor::ParseBytes, 0));
  return limits;
}

}  // namespace

absl::StatusOr<BuildOptions> ParseBuildOptions(
    const std::vector<std::string>& args, const std::string& env_remote) {
  FlagSpec spec;
  spec.with_value = {"tag",        "file",     "target",   "build-arg",
                     "platform",   "progress", "remote",   "output",
                     "secret",     "label",    "iidfile",  "allow",
                     "run-memory", "run-pids", "run-cpus", "run-timeout",
                     "run-disk"};
  spec.boolean = {"no-cache", "pull", "push", "quiet", "help"};
  spec.aliases = {{"t", "tag"},
                  {"f", "file"},
                  {"o", "output"},
                  {"q", "quiet"},
                  {"h", "help"}};
  ASSIGN_OR_RETURN(CommandLine cli, CommandLine::Parse(args, spec));

  BuildOptions options;
  options.help = cli.Has("help");
  if (options.help) return options;
  auto flag_on = [&](const char* name) { return cli.Get(name) == "true"; };
  options.no_cache = flag_on("no-cache");
  options.pull = flag_on("pull");
  options.push = flag_on("push");
  options.quiet = flag_on("quiet");
  options.tags = cli.GetAll("tag");
  for (const std::string& tag : options.tags) {
    if (tag.empty()) return absl::InvalidArgumentError("-t: empty image name");
  }
  options.file = cli.Get("file");
  options.target = cli.Get("target");
  options.platform = cli.Get("platform");
  ASSIGN_OR_RETURN(options.build_args, ParseBuildArgs(cli.GetAll("build-arg")));
  ASSIGN_OR_RETURN(options.progress,
                   progress::ParseProgressMode(cli.Get("progress", "auto")));
  options.remote = cli.Get("remote", env_remote);
  for (const std::string& entitlement : cli.GetAll("allow")) {
    if (entitlement != "security.insecure" && entitlement != "network.host") {
      return absl::InvalidArgumentError(absl::StrCat(
          "--allow ", entitlement,
          ": unknown entitlement (known: security.insecure, network.host)"));
    }
    options.entitlements.push_back(entitlement);
  }
  for (const std::string& text : cli.GetAll("output")) {
    ASSIGN_OR_RETURN(OutputSpec output, ParseOutputSpec(text));
    if (output.dest == "-" && options.quiet) {
      return absl::InvalidArgumentError(
          "-q prints the image id on standard output, so --output cannot "
          "use dest=- with it");
    }
    options.outputs.push_back(std::move(output));
  }
  // As Docker: "K=V", or "K" alone for an empty value.
  for (const std::string& text : cli.GetAll("label")) {
    const size_t eq = text.find('=');
    const std::string key = text.substr(0, eq);
    if (key.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--label ", text, ": the key is empty"));
    }
    options.labels[key] = eq == std::string::npos ? "" : text.substr(eq + 1);
  }
  options.iidfile = cli.Get("iidfile");
  for (const std::string& text : cli.GetAll("secret")) {
    ASSIGN_OR_RETURN(SecretSource secret, ParseSecretFlag(text));
    options.secrets.push_back(std::move(secret));
  }
  ASSIGN_OR_RETURN(options.run_limits, ParseRunLimits(cli));
  if (options.push && options.tags.empty()) {
    return absl::InvalidArgumentError("--push needs at least one -t tag");
  }
  if (cli.positional().size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "want exactly one CONTEXT, got ", cli.positional().size()));
  }
  options.context = cli.positional()[0];
  return options;
}

}  // namespace farm::client::build
