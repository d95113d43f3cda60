#include "worker/config_builder.h"

#include <cstdint>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "dockerfile/heredoc.h"
#include "worker/go_format.h"

namespace farm::worker {
namespace {

namespace df = ::farm::dockerfile;

std::vector<std::string> ShellArgv(const df::CommandLine& command,
                                   const std::vector<std::string>& shell) {
  if (!command.shell_form) return command.args;
  std::vector<std::string> argv = shell;
  argv.push_back(absl::StrJoin(command.args, " "));
  return argv;
}

// "KEYWORD k=v k=v", the unquoted pairs BuildKit writes for ENV and LABEL.
std::string PairsText(absl::string_view keyword,
                      const std::vector<df::KeyValue>& pairs) {
  std::string out(keyword);
  for (const df::KeyValue& kv : pairs) {
    absl::StrAppend(&out, " ", kv.key, "=", kv.value);
  }
  return out;
}

// Go's %q of Docker 20.10's HealthConfig pointer: &{Test Interval Timeout
// StartPeriod Retries}. StartInterval, which later versions added before
// Retries, is shown only when set.
std::string HealthcheckText(const df::HealthcheckInstruction& h) {
  std::string out = absl::StrCat(
      "&{", GoQuotedList(h.test), " ", GoQuote(GoDuration(h.interval)), " ",
      GoQuote(GoDuration(h.timeout)), " ", GoQuote(GoDuration(h.start_period)));
  if (h.start_interval != 0) {
    absl::StrAppend(&out, " ", GoQuote(GoDuration(h.start_interval)));
  }
  absl::StrAppend(&out, " ", GoQuoteRune(h.retries), "}");
  return out;
}

// The sources of COPY/ADD as history shows them: paths as written after
// expansion, then heredoc files.
std::string FileSourcesText(absl::string_view keyword,
                            const df::FileSources& files) {
  std::string out(keyword);
  for (const std::string& path : files.paths) absl::StrAppend(&out, " ", path);
  for (const df::InlineFile& file : files.contents) {
    absl::StrAppend(&out, " <<", file.name);
  }
  absl::StrAppend(&out, " ", files.dest, " # buildkit");
  return out;
}

absl::StatusOr<uint32_t> ParsePort(absl::string_view text,
                                   absl::string_view word) {
  uint32_t port = 0;
  if (text.empty() || !absl::SimpleAtoi(text, &port) || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid port \"", text, "\" in EXPOSE ", word));
  }
  return port;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ExposedPorts(absl::string_view word) {
  // [ip:[host]:]container[-end][/proto]; an IPv6 ip sits in brackets.
  absl::string_view spec = word;
  size_t colon = spec.rfind(':');
  if (colon != absl::string_view::npos) spec = spec.substr(colon + 1);
  std::string proto = "tcp";
  if (size_t slash = spec.find('/'); slash != absl::string_view::npos) {
    if (slash + 1 < spec.size()) {
      proto = absl::AsciiStrToLower(spec.substr(slash + 1));
    }
    spec = spec.substr(0, slash);
  }
  if (proto != "tcp" && proto != "udp" && proto != "sctp") {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid proto \"", proto, "\" in EXPOSE ", word));
  }
  std::pair<absl::string_view, absl::string_view> range =
      absl::StrSplit(spec, absl::MaxSplits('-', 1));
  ASSIGN_OR_RETURN(uint32_t start, ParsePort(range.first, word));
  uint32_t end = start;
  if (!range.second.empty() || spec.find('-') != absl::string_view::npos) {
    ASSIGN_OR_RETURN(end, ParsePort(range.second, word));
  }
  if (end < start) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid port range in EXPOSE ", word));
  }
  std::vector<std::string> out;
  for (uint32_t port = start; port <= end; ++port) {
    out.push_back(absl::StrCat(port, "/", proto));
  }
  return out;
}

std::vector<std::string> RunArgv(const df::Instruction& run,
                                 const std::vector<std::string>& shell) {
  const auto* value = run.As<df::RunInstruction>();
  df::CommandLine command = value->command;
  if (!run.heredocs.empty() && command.shell_form && command.args.size() == 1) {
    const df::Heredoc& first = run.heredocs.front();
    auto body = [](const df::Heredoc& h) {
      return h.chomp ? df::ChompHeredoc(h.content) : h.content;
    };
    if (df::ParseHeredocWord(absl::StripAsciiWhitespace(command.args[0]))) {
      command.args = {body(first)};
    } else {
      std::string full = command.args[0];
      for (const df::Heredoc& h : run.heredocs) {
        absl::StrAppend(&full, "\n", body(h), h.name);
      }
      command.args = {full};
    }
  }
  return ShellArgv(command, shell);
}

absl::StatusOr<ConfigBuilder> ConfigBuilder::Start(
    const std::optional<std::string>& base_config,
    ConfigBuilderOptions options) {
  ConfigBuilder builder(options);
  image::oci::ImageConfig& config = builder.config_;
  if (base_config.has_value()) {
    ASSIGN_OR_RETURN(config, image::oci::ImageConfig::Parse(*base_config));
  } else {
    config.architecture = options.platform.arch;
    config.os = options.platform.os;
    config.variant = options.platform.variant;
    config.config.working_dir = "/";
  }
  bool has_path = false;
  for (const std::string& entry : config.config.env) {
    has_path |= absl::StartsWith(entry, "PATH=");
  }
  if (!has_path)
    config.config.env.push_back(absl::StrCat("PATH=", kDefaultPath));
  config.config.on_build.clear();
  builder.vars_.InheritEnv(config.config.env);
  return builder;
}

std::string ConfigBuilder::working_dir() const {
  return config_.config.working_dir.empty() ? "/" : config_.config.working_dir;
}

std::vector<std::string> ConfigBuilder::shell() const {
  if (!config_.config.shell.empty()) return config_.config.shell;
  return {"/bin/sh", "-c"};
}

void ConfigBuilder::SetEnv(const std::string& key, const std::string& value) {
  std::string entry = absl::StrCat(key, "=", value);
  for (std::string& existing : config_.config.env) {
    if (existing.substr(0, existing.find('=')) == key) {
      existing = std::move(entry);
      return;
    }
  }
  config_.config.env.push_back(std::move(entry));
}

std::string ConfigBuilder::ApplyWorkdir(const std::string& path) {
  std::string dir = path;
  if (!absl::StartsWith(path, "/")) {
    dir = CleanPath(absl::StrCat("/", config_.config.working_dir, "/", path));
  }
  config_.config.working_dir = dir;
  return dir;
}

absl::StatusOr<StepRecord> ConfigBuilder::Apply(
    const df::Instruction& instruction) {
  StepRecord step;
  if (instruction.As<df::RunInstruction>() != nullptr) {
    std::vector<std::string> words = vars_.HistoryArgs();
    for (std::string& arg : RunArgv(instruction, shell())) {
      words.push_back(std::move(arg));
    }
    step.created_by =
        absl::StrCat("RUN ", absl::StrJoin(words, " "), " # buildkit");
    step.makes_layer = true;
  } else if (const auto* copy = instruction.As<df::CopyInstruction>()) {
    step.created_by = FileSourcesText("COPY", copy->files);
    step.makes_layer = true;
  } else if (const auto* add = instruction.As<df::AddInstruction>()) {
    step.created_by = FileSourcesText("ADD", add->files);
    step.makes_layer = true;
  } else if (const auto* workdir = instruction.As<df::WorkdirInstruction>()) {
    std::string dir = ApplyWorkdir(workdir->path);
    step.created_by = absl::StrCat("WORKDIR ", dir);
    step.makes_layer = dir != "/";
  } else if (const auto* onbuild = instruction.As<df::OnbuildInstruction>()) {
    config_.config.on_build.push_back(onbuild->expression);
    step.writes_history = false;
  } else {
    ASSIGN_OR_RETURN(step.created_by, ApplyMetadata(instruction));
  }
  return step;
}

absl::StatusOr<std::string> ConfigBuilder::ApplyMetadata(
    const df::Instruction& instruction) {
  image::oci::ContainerConfig& c = config_.config;
  if (const auto* env = instruction.As<df::EnvInstruction>()) {
    for (const df::KeyValue& kv : env->vars) {
      SetEnv(kv.key, kv.value);
      vars_.SetEnv(kv.key, kv.value);
    }
    return PairsText("ENV", env->vars);
  }
  if (const auto* arg = instruction.As<df::ArgInstruction>()) {
    std::vector<std::string> words;
    for (const df::ArgDefinition& def : arg->args) {
      vars_.DeclareArg(def.name, def.default_value);
      words.push_back(def.default_value.has_value()
                          ? absl::StrCat(def.name, "=", *def.default_value)
                          : def.name);
    }
    return absl::StrCat("ARG ", absl::StrJoin(words, " "));
  }
  if (const auto* label = instruction.As<df::LabelInstruction>()) {
    for (const df::KeyValue& kv : label->labels) c.labels[kv.key] = kv.value;
    return PairsText("LABEL", label->labels);
  }
  if (const auto* cmd = instruction.As<df::CmdInstruction>()) {
    c.cmd = ShellArgv(cmd->command, shell());
    c.args_escaped = true;
    cmd_set_ = true;
    return absl::StrCat("CMD ", GoQuotedList(c.cmd));
  }
  if (const auto* entrypoint = instruction.As<df::EntrypointInstruction>()) {
    c.entrypoint = ShellArgv(entrypoint->command, shell());
    if (!cmd_set_) c.cmd.clear();
    return absl::StrCat("ENTRYPOINT ", GoQuotedList(c.entrypoint));
  }
  if (const auto* expose = instruction.As<df::ExposeInstruction>()) {
    std::set<std::string> ports;
    for (const std::string& word : expose->ports) {
      ASSIGN_OR_RETURN(std::vector<std::string> expanded, ExposedPorts(word));
      ports.insert(expanded.begin(), expanded.end());
    }
    std::vector<std::string> entries;
    for (const std::string& port : ports) {
      c.exposed_ports.insert(port);
      entries.push_back(absl::StrCat(port, ":{}"));
    }
    return absl::StrCat("EXPOSE map", GoList(entries));
  }
  if (const auto* volume = instruction.As<df::VolumeInstruction>()) {
    c.volumes.insert(volume->paths.begin(), volume->paths.end());
    return absl::StrCat("VOLUME ", GoList(volume->paths));
  }
  if (const auto* user = instruction.As<df::UserInstruction>()) {
    c.user = user->user;
    return absl::StrCat("USER ", user->user);
  }
  if (const auto* stop = instruction.As<df::StopsignalInstruction>()) {
    c.stop_signal = stop->signal;
    return absl::StrCat("STOPSIGNAL ", stop->signal);
  }
  if (const auto* shell = instruction.As<df::ShellInstruction>()) {
    c.shell = shell->shell;
    return absl::StrCat("SHELL ", GoList(shell->shell));
  }
  if (const auto* health = instruction.As<df::HealthcheckInstruction>()) {
    image::oci::Healthcheck h;
    h.test = health->test;
    h.interval_ns = health->interval;
    h.timeout_ns = health->timeout;
    h.start_period_ns = health->start_period;
    h.start_interval_ns = health->start_interval;
    h.retries = health->retries;
    c.healthcheck = std::move(h);
    return absl::StrCat("HEALTHCHECK ", HealthcheckText(*health));
  }
  if (const auto* maintainer = instruction.As<df::MaintainerInstruction>()) {
    config_.author = maintainer->name;
    return absl::StrCat("MAINTAINER ", maintainer->name);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("line ", instruction.start_line, ": ", instruction.Kind(),
                   " cannot be applied to an image config"));
}

void ConfigBuilder::Record(const StepRecord& step,
                           const std::optional<Digest>& diff_id,
                           absl::Time created) {
  config_.created = created;
  if (diff_id.has_value()) config_.diff_ids.push_back(*diff_id);
  if (!step.writes_history) return;
  image::oci::History entry;
  entry.created = created;
  entry.created_by = step.created_by;
  entry.comment = kHistoryComment;
  entry.empty_layer = !step.makes_layer;
  config_.history.push_back(std::move(entry));
}

absl::Status ConfigBuilder::Restore(absl::string_view config_json) {
  ASSIGN_OR_RETURN(config_, image::oci::ImageConfig::Parse(config_json));
  return absl::OkStatus();
}

}  // namespace farm::worker
