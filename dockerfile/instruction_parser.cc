#include "dockerfile/instruction_parser.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "dockerfile/builder_flags.h"
#include "dockerfile/duration.h"
#include "dockerfile/suggest.h"
#include "dockerfile/text.h"

namespace farm::dockerfile {
namespace {

absl::Status Err(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}
absl::Status AtLeastOne(absl::string_view keyword) {
  return Err(absl::StrCat(keyword, " requires at least one argument"));
}
absl::Status ExactlyOne(absl::string_view keyword) {
  return Err(absl::StrCat(keyword, " requires exactly one argument"));
}
absl::Status NoDestination(absl::string_view keyword) {
  return Err(absl::StrCat(keyword,
                          " requires at least two arguments, but only one was "
                          "provided. Destination could not be determined"));
}

// Parses the node's flags when the instruction takes none: any is unknown.
absl::Status NoFlags(const Node& node) { return FlagSet(node.flags).Parse(); }

CommandLine MakeCommandLine(const Node& node) {
  CommandLine command;
  command.shell_form = !node.json;
  if (node.args.empty()) return command;
  if (node.json) {
    command.args = node.args;
  } else {
    command.args = {absl::StrJoin(node.args, " ")};
  }
  return command;
}

// ENV/LABEL arguments come as (key, value, separator) triples.
absl::StatusOr<std::vector<KeyValue>> KeyValues(const Node& node,
                                                absl::string_view keyword) {
  if (node.args.empty()) return AtLeastOne(keyword);
  if (node.args.size() % 3 != 0) {
    return Err(absl::StrCat("Bad input to ", keyword, ", too many arguments"));
  }
  std::vector<KeyValue> pairs;
  for (size_t i = 0; i < node.args.size(); i += 3) {
    if (node.args[i].empty()) {
      return Err(absl::StrCat(keyword, " names can not be blank"));
    }
    pairs.push_back(
        KeyValue{node.args[i], node.args[i + 1], node.args[i + 2].empty()});
  }
  return pairs;
}

absl::StatusOr<FileSources> SourcesAndDest(const Node& node,
                                           absl::string_view keyword) {
  FileSources files;
  files.dest = node.args.back();
  if (ParseHeredocWord(files.dest)) {
    return Err(
        absl::StrCat(keyword, " cannot accept a heredoc as a destination"));
  }
  for (size_t i = 0; i + 1 < node.args.size(); ++i) {
    const std::string& src = node.args[i];
    // As in BuildKit this also applies to the exec form, where no body was
    // read: the file is then empty.
    std::optional<Heredoc> word = ParseHeredocWord(src);
    if (!word) {
      files.paths.push_back(src);
      continue;
    }
    // BuildKit looks bodies up by delimiter; the last one of a name wins and
    // a name with no body reads as empty.
    InlineFile file{word->name, "", word->expand};
    for (const Heredoc& heredoc : node.heredocs) {
      if (heredoc.name == word->name) file.data = heredoc.content;
    }
    if (word->chomp) file.data = ChompHeredoc(file.data);
    files.contents.push_back(std::move(file));
  }
  return files;
}

absl::StatusOr<InstructionValue> ParseFrom(const Node& node) {
  FromInstruction from;
  const auto& args = node.args;
  if (args.size() == 3 && absl::EqualsIgnoreCase(args[1], "as")) {
    from.name = args[2];
    std::string lower = absl::AsciiStrToLower(args[2]);
    bool valid = !lower.empty() && lower[0] >= 'a' && lower[0] <= 'z';
    for (char c : lower) {
      valid = valid && (absl::ascii_islower(c) || absl::ascii_isdigit(c) ||
                        c == '-' || c == '_' || c == '.');
    }
    if (!valid) {
      return Err(
          absl::StrCat("invalid name for build stage: ", GoQuote(args[2]),
                       ", name can't start with a number or contain "
                       "symbols"));
    }
  } else if (args.size() != 1) {
    return Err("FROM requires either one or three arguments");
  }
  FlagSet flags(node.flags);
  flags.AddString("platform");
  RETURN_IF_ERROR(flags.Parse());
  from.base = args[0];
  from.platform = flags.String("platform");
  return from;
}

absl::StatusOr<InstructionValue> ParseRun(const Node& node) {
  FlagSet flags(node.flags);
  flags.AddStrings("mount");
  flags.AddString("network", "default");
  flags.AddString("security", "sandbox");
  RETURN_IF_ERROR(flags.Parse());
  RunInstruction run;
  run.command = MakeCommandLine(node);
  run.mount_specs = flags.Strings("mount");
  for (const std::string& spec : run.mount_specs) {
    RETURN_IF_ERROR(CheckMountSyntax(spec));
  }
  run.network = flags.String("network");
  if (run.network != "default" && run.network != "none" &&
      run.network != "host") {
    return Err(absl::StrCat("unsupported network mode ", GoQuote(run.network)));
  }
  run.security = flags.String("security");
  if (run.security != "sandbox" && run.security != "insecure") {
    return Err(
        absl::StrCat("unsupported security mode ", GoQuote(run.security)));
  }
  return run;
}

// COPY and ADD: two or more arguments, the flags they share, plus the flags
// only one of them takes.
absl::StatusOr<FlagSet> ParseFileFlags(
    const Node& node, absl::string_view keyword,
    const std::vector<std::string>& bools,
    const std::vector<std::string>& strings) {
  if (node.args.size() < 2) return NoDestination(keyword);
  FlagSet flags(node.flags);
  flags.AddStrings("exclude");
  flags.AddString("chown");
  flags.AddString("chmod");
  flags.AddBool("link");
  for (const std::string& name : bools) flags.AddBool(name);
  for (const std::string& name : strings) flags.AddString(name);
  RETURN_IF_ERROR(flags.Parse());
  return flags;
}

template <typename T>
absl::Status FillFileInstruction(const Node& node, absl::string_view keyword,
                                 const FlagSet& flags, T* out) {
  ASSIGN_OR_RETURN(out->files, SourcesAndDest(node, keyword));
  out->chown = flags.String("chown");
  out->chmod = flags.String("chmod");
  out->link = flags.Bool("link");
  out->excludes = flags.Strings("exclude");
  return absl::OkStatus();
}

absl::StatusOr<InstructionValue> ParseCopy(const Node& node) {
  ASSIGN_OR_RETURN(FlagSet flags,
                   ParseFileFlags(node, "COPY", {"parents"}, {"from"}));
  CopyInstruction copy;
  RETURN_IF_ERROR(FillFileInstruction(node, "COPY", flags, &copy));
  copy.from = flags.String("from");
  copy.parents = flags.Bool("parents");
  return copy;
}

absl::StatusOr<InstructionValue> ParseAdd(const Node& node) {
  ASSIGN_OR_RETURN(
      FlagSet flags,
      ParseFileFlags(node, "ADD", {"keep-git-dir", "unpack"}, {"checksum"}));
  AddInstruction add;
  RETURN_IF_ERROR(FillFileInstruction(node, "ADD", flags, &add));
  add.checksum = flags.String("checksum");
  add.keep_git_dir = flags.Bool("keep-git-dir");
  if (flags.Used("unpack")) add.unpack = flags.Bool("unpack");
  return add;
}

absl::StatusOr<int64_t> ParseInterval(const std::string& name,
                                      const std::string& value) {
  if (value.empty()) return 0;
  ASSIGN_OR_RETURN(int64_t d, ParseGoDuration(value));
  if (d == 0) return 0;
  if (d < 1000 * 1000) {
    return Err(
        absl::StrCat("Interval ", GoQuote(name), " cannot be less than 1ms"));
  }
  return d;
}

absl::StatusOr<InstructionValue> ParseHealthcheck(const Node& node) {
  if (node.args.empty()) return AtLeastOne("HEALTHCHECK");
  HealthcheckInstruction health;
  std::string type = absl::AsciiStrToUpper(node.args[0]);
  std::vector<std::string> rest(node.args.begin() + 1, node.args.end());
  if (type == "NONE") {
    // Docker does not read the flags of HEALTHCHECK NONE at all.
    if (!rest.empty()) return Err("HEALTHCHECK NONE takes no arguments");
    health.test = {"NONE"};
    return health;
  }
  FlagSet flags(node.flags);
  for (const char* name :
       {"interval", "timeout", "start-period", "start-interval", "retries"}) {
    flags.AddString(name);
  }
  RETURN_IF_ERROR(flags.Parse());
  if (type != "CMD") {
    return Err(absl::StrCat("Unknown type ", GoQuote(type),
                            " in HEALTHCHECK (try CMD)"));
  }
  if (rest.empty()) return Err("Missing command after HEALTHCHECK CMD");
  if (node.json) {
    health.test = {"CMD"};
    health.test.insert(health.test.end(), rest.begin(), rest.end());
  } else {
    health.test = {"CMD-SHELL", absl::StrJoin(rest, " ")};
  }
  ASSIGN_OR_RETURN(health.interval,
                   ParseInterval("interval", flags.String("interval")));
  ASSIGN_OR_RETURN(health.timeout,
                   ParseInterval("timeout", flags.String("timeout")));
  ASSIGN_OR_RETURN(health.start_period,
                   ParseInterval("start-period", flags.String("start-period")));
  ASSIGN_OR_RETURN(
      health.start_interval,
      ParseInterval("start-interval", flags.String("start-interval")));
  const std::string& retries = flags.String("retries");
  if (!retries.empty()) {
    std::optional<int64_t> n = ParseGoInt(retries, 32);
    if (!n) {
      return Err(absl::StrCat("strconv.ParseInt: parsing ", GoQuote(retries),
                              ": invalid syntax"));
    }
    if (*n < 0) {
      return Err(absl::StrCat("--retries cannot be negative (", *n, ")"));
    }
    health.retries = static_cast<int>(*n);
  }
  return health;
}

absl::StatusOr<InstructionValue> ParseArg(const Node& node) {
  // Docker does not read ARG's flags.
  if (node.args.empty()) return AtLeastOne("ARG");
  ArgInstruction arg;
  for (const std::string& word : node.args) {
    ArgDefinition def;
    size_t eq = word.find('=');
    if (eq == std::string::npos) {
      def.name = word;
    } else {
      if (eq == 0) return Err("ARG names can not be blank");
      def.name = word.substr(0, eq);
      def.default_value = word.substr(eq + 1);
    }
    arg.args.push_back(std::move(def));
  }
  return arg;
}

absl::StatusOr<InstructionValue> ParseShell(const Node& node) {
  RETURN_IF_ERROR(NoFlags(node));
  if (node.args.empty()) return AtLeastOne("SHELL");
  if (!node.json) return Err("SHELL requires the arguments to be in JSON form");
  return ShellInstruction{node.args};
}

absl::StatusOr<InstructionValue> ParseOnbuild(const Node& node,
                                              absl::string_view filename) {
  if (node.trigger.empty()) return AtLeastOne("ONBUILD");
  RETURN_IF_ERROR(NoFlags(node));
  std::string trigger =
      absl::AsciiStrToUpper(TrimGoSpace(node.trigger[0].keyword));
  if (trigger == "ONBUILD") {
    return Err("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  }
  if (trigger == "MAINTAINER" || trigger == "FROM") {
    return Err(absl::StrCat(trigger, " isn't allowed as an ONBUILD trigger"));
  }
  OnbuildInstruction onbuild;
  // The original line without `ONBUILD` and the whitespace around it.
  absl::string_view expression = TrimLeftGoSpace(node.original);
  expression.remove_prefix(std::min(expression.size(), node.keyword.size()));
  onbuild.expression = std::string(TrimLeftGoSpace(expression));
  for (const Heredoc& heredoc : node.heredocs) {
    absl::StrAppend(&onbuild.expression, "\n", heredoc.content, heredoc.name);
  }
  Node child = node.trigger[0];
  child.heredocs = node.heredocs;
  absl::StatusOr<Instruction> parsed =
      ParseInstruction(std::move(child), filename);
  if (parsed.ok()) {
    onbuild.trigger = std::make_shared<const Instruction>(*std::move(parsed));
  } else {
    onbuild.trigger_error = parsed.status();
  }
  return onbuild;
}

absl::StatusOr<InstructionValue> ParseValue(const Node& node,
                                            absl::string_view filename) {
  const std::string keyword = absl::AsciiStrToLower(node.keyword);
  const auto& args = node.args;
  if (keyword == "from") return ParseFrom(node);
  if (keyword == "run") return ParseRun(node);
  if (keyword == "copy") return ParseCopy(node);
  if (keyword == "add") return ParseAdd(node);
  if (keyword == "healthcheck") return ParseHealthcheck(node);
  if (keyword == "arg") return ParseArg(node);
  if (keyword == "shell") return ParseShell(node);
  if (keyword == "onbuild") return ParseOnbuild(node, filename);
  if (keyword == "env" || keyword == "label") {
    RETURN_IF_ERROR(NoFlags(node));
    ASSIGN_OR_RETURN(std::vector<KeyValue> pairs,
                     KeyValues(node, keyword == "env" ? "ENV" : "LABEL"));
    if (keyword == "env") return EnvInstruction{std::move(pairs)};
    return LabelInstruction{std::move(pairs)};
  }
  if (keyword == "cmd" || keyword == "entrypoint") {
    RETURN_IF_ERROR(NoFlags(node));
    if (keyword == "cmd") return CmdInstruction{MakeCommandLine(node)};
    return EntrypointInstruction{MakeCommandLine(node)};
  }
  if (keyword == "maintainer" || keyword == "workdir" || keyword == "user" ||
      keyword == "stopsignal") {
    if (args.size() != 1) return ExactlyOne(absl::AsciiStrToUpper(keyword));
    // Docker does not read STOPSIGNAL's flags.
    if (keyword != "stopsignal") RETURN_IF_ERROR(NoFlags(node));
    if (keyword == "maintainer") return MaintainerInstruction{args[0]};
    if (keyword == "workdir") return WorkdirInstruction{args[0]};
    if (keyword == "user") return UserInstruction{args[0]};
    return StopsignalInstruction{args[0]};
  }
  if (keyword == "expose") {
    if (args.empty()) return AtLeastOne("EXPOSE");
    RETURN_IF_ERROR(NoFlags(node));
    ExposeInstruction expose{args};
    std::sort(expose.ports.begin(), expose.ports.end());
    return expose;
  }
  if (keyword == "volume") {
    if (args.empty()) return AtLeastOne("VOLUME");
    RETURN_IF_ERROR(NoFlags(node));
    VolumeInstruction volume;
    for (const std::string& arg : args) {
      absl::string_view path = TrimGoSpace(arg);
      if (path.empty()) {
        return Err("VOLUME specified can not be an empty string");
      }
      volume.paths.emplace_back(path);
    }
    return volume;
  }
  return Err(AppendSuggestion(
      absl::StrCat("unknown instruction: ", node.keyword), node.keyword,
      InstructionKeywords(), /*case_sensitive=*/false));
}

}  // namespace

const std::vector<std::string>& InstructionKeywords() {
  static const auto* const kKeywords = new std::vector<std::string>{
      "ADD",    "ARG",   "CMD",         "COPY",  "ENTRYPOINT", "ENV",
      "EXPOSE", "FROM",  "HEALTHCHECK", "LABEL", "MAINTAINER", "ONBUILD",
      "RUN",    "SHELL", "STOPSIGNAL",  "USER",  "VOLUME",     "WORKDIR"};
  return *kKeywords;
}

absl::StatusOr<Instruction> ParseInstruction(Node node,
                                             absl::string_view filename) {
  absl::StatusOr<InstructionValue> value = ParseValue(node, filename);
  if (!value.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        filename, ":", node.start_line, ": ", value.status().message()));
  }
  Instruction instruction;
  static_cast<WrittenInstruction&>(instruction) =
      std::move(static_cast<WrittenInstruction&>(node));
  instruction.value = *std::move(value);
  return instruction;
}

}  // namespace farm::dockerfile
