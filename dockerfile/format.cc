#include "dockerfile/format.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "dockerfile/duration.h"
#include "dockerfile/json_array.h"
#include "dockerfile/text.h"

namespace farm::dockerfile {
namespace {

void AddWord(std::string* out, const std::string& word) {
  absl::StrAppend(out, " ", CanonicalWord(word));
}

void AddFlag(std::string* out, absl::string_view name,
             const std::string& value) {
  absl::StrAppend(out, " --", name, "=", CanonicalWord(value));
}

// Heredoc bodies travel at the end: ` <<NAME="body"`.
void AddBody(std::string* out, const std::string& name,
             const std::string& body) {
  absl::StrAppend(out, " <<", CanonicalKey(name), "=", QuoteString(body));
}

void AddCommand(std::string* out, const CommandLine& command) {
  if (!command.shell_form) {
    absl::StrAppend(out, " ", FormatJsonArray(command.args));
    return;
  }
  if (command.args.empty()) return;
  const std::string& text = command.args[0];
  // A command that reads like a flag needs the `--` end-of-flags marker.
  if (text.rfind("--", 0) == 0) absl::StrAppend(out, " --");
  absl::StrAppend(out, " ", text);
}

void AddSources(std::string* out, const FileSources& files) {
  for (const std::string& path : files.paths) AddWord(out, path);
  // A quoted delimiter marks a body that is not expanded.
  for (const InlineFile& file : files.contents) {
    absl::StrAppend(
        out, " <<",
        file.expand ? CanonicalWord(file.name) : QuoteString(file.name));
  }
  AddWord(out, files.dest);
  for (const InlineFile& file : files.contents) {
    AddBody(out, file.name, file.data);
  }
}

void AddPairs(std::string* out, const std::vector<KeyValue>& pairs) {
  for (const KeyValue& kv : pairs) {
    absl::StrAppend(out, " ", CanonicalKey(kv.key), "=", QuoteString(kv.value));
  }
}

struct Formatter {
  const Instruction& in;
  std::string out;

  void operator()(const FromInstruction& from) {
    if (!from.platform.empty()) AddFlag(&out, "platform", from.platform);
    AddWord(&out, from.base);
    if (!from.name.empty()) {
      absl::StrAppend(&out, " AS ",
                      CanonicalWord(absl::AsciiStrToLower(from.name)));
    }
  }
  void operator()(const RunInstruction& run) {
    if (!run.mounts.empty()) {
      for (const Mount& m : run.mounts) AddFlag(&out, "mount", FormatMount(m));
    } else {
      for (const std::string& spec : run.mount_specs) {
        AddFlag(&out, "mount", spec);
      }
    }
    if (run.network != "default") AddFlag(&out, "network", run.network);
    if (run.security != "sandbox") AddFlag(&out, "security", run.security);
    AddCommand(&out, run.command);
    for (const Heredoc& h : in.heredocs) AddBody(&out, h.name, h.content);
  }
  void operator()(const CmdInstruction& cmd) { AddCommand(&out, cmd.command); }
  void operator()(const EntrypointInstruction& ep) {
    AddCommand(&out, ep.command);
  }
  void operator()(const LabelInstruction& label) {
    AddPairs(&out, label.labels);
  }
  void operator()(const EnvInstruction& env) { AddPairs(&out, env.vars); }
  void operator()(const MaintainerInstruction& m) { AddWord(&out, m.name); }
  void operator()(const ExposeInstruction& expose) {
    for (const std::string& port : expose.ports) AddWord(&out, port);
  }
  void operator()(const AddInstruction& add) {
    if (!add.chown.empty()) AddFlag(&out, "chown", add.chown);
    if (!add.chmod.empty()) AddFlag(&out, "chmod", add.chmod);
    if (add.link) absl::StrAppend(&out, " --link");
    if (add.keep_git_dir) absl::StrAppend(&out, " --keep-git-dir");
    if (!add.checksum.empty()) AddFlag(&out, "checksum", add.checksum);
    if (add.unpack) {
      absl::StrAppend(&out, " --unpack=", *add.unpack ? "true" : "false");
    }
    for (const std::string& e : add.excludes) AddFlag(&out, "exclude", e);
    AddSources(&out, add.files);
  }
  void operator()(const CopyInstruction& copy) {
    if (!copy.from.empty()) AddFlag(&out, "from", copy.from);
    if (!copy.chown.empty()) AddFlag(&out, "chown", copy.chown);
    if (!copy.chmod.empty()) AddFlag(&out, "chmod", copy.chmod);
    if (copy.link) absl::StrAppend(&out, " --link");
    if (copy.parents) absl::StrAppend(&out, " --parents");
    for (const std::string& e : copy.excludes) AddFlag(&out, "exclude", e);
    AddSources(&out, copy.files);
  }
  void operator()(const VolumeInstruction& volume) {
    for (const std::string& path : volume.paths) AddWord(&out, path);
  }
  void operator()(const UserInstruction& user) { AddWord(&out, user.user); }
  void operator()(const WorkdirInstruction& w) { AddWord(&out, w.path); }
  void operator()(const ArgInstruction& arg) {
    for (const ArgDefinition& def : arg.args) {
      absl::StrAppend(&out, " ", CanonicalKey(def.name));
      if (def.default_value) {
        absl::StrAppend(&out, "=", QuoteString(*def.default_value));
      }
    }
  }
  void operator()(const OnbuildInstruction& onbuild) {
    if (onbuild.trigger) {
      absl::StrAppend(&out, " ", CanonicalText(*onbuild.trigger));
    } else {
      absl::StrAppend(&out, " ", QuoteString(onbuild.expression));
    }
  }
  void operator()(const StopsignalInstruction& stop) {
    AddWord(&out, stop.signal);
  }
  void operator()(const HealthcheckInstruction& health) {
    if (health.test.empty() || health.test[0] == "NONE") {
      absl::StrAppend(&out, " NONE");
      return;
    }
    auto duration = [&](const char* name, int64_t nanos) {
      if (nanos != 0) {
        absl::StrAppend(&out, " --", name, "=", FormatGoDuration(nanos));
      }
    };
    duration("interval", health.interval);
    duration("timeout", health.timeout);
    duration("start-period", health.start_period);
    duration("start-interval", health.start_interval);
    if (health.retries != 0)
      absl::StrAppend(&out, " --retries=", health.retries);
    absl::StrAppend(&out, " CMD");
    CommandLine command;
    command.shell_form = health.test[0] == "CMD-SHELL";
    command.args.assign(health.test.begin() + 1, health.test.end());
    AddCommand(&out, command);
  }
  void operator()(const ShellInstruction& shell) {
    absl::StrAppend(&out, " ", FormatJsonArray(shell.shell));
  }
};

}  // namespace

std::string CanonicalWord(const std::string& word) {
  // A word is quoted exactly when it starts with a quote, so everything else
  // only has to avoid spaces, control bytes and the starts that would read as
  // a flag, a heredoc, a JSON array or a comment.
  bool plain = !word.empty() && word[0] != '"' && word[0] != '\'' &&
               word[0] != '-' && word[0] != '<' && word[0] != '[' &&
               word[0] != '#';
  for (char c : word) {
    unsigned char u = static_cast<unsigned char>(c);
    plain = plain && u > 0x20 && u < 0x7F;
  }
  return plain ? word : QuoteString(word);
}

std::string CanonicalKey(const std::string& key) {
  if (key.find('=') != std::string::npos) return QuoteString(key);
  return CanonicalWord(key);
}

std::string CanonicalText(const Instruction& instruction) {
  Formatter formatter{instruction, std::string(instruction.Kind())};
  std::visit(formatter, instruction.value);
  return std::move(formatter.out);
}

}  // namespace farm::dockerfile
