// Typed Dockerfile instructions: what each instruction means once its
// arguments and flags are read (FROM's base and stage name, COPY's sources and
// --from, RUN's mounts, ...). Produced by instruction_parser.h, rewritten with
// variables substituted by expand.h, rendered canonically by format.h.
#ifndef FARM_DOCKERFILE_INSTRUCTIONS_H_
#define FARM_DOCKERFILE_INSTRUCTIONS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "dockerfile/ast.h"
#include "dockerfile/heredoc.h"
#include "dockerfile/mount.h"

namespace farm::dockerfile {

struct Instruction;

// ENV and LABEL pairs. `legacy` marks the `ENV key value` form.
struct KeyValue {
  std::string key;
  std::string value;
  bool legacy = false;
};

// RUN, CMD and ENTRYPOINT commands.
struct CommandLine {
  // Exec form: the argv. Shell form: one element, the command text (none for
  // an empty CMD or ENTRYPOINT).
  std::vector<std::string> args;
  // Shell form: run through the stage's SHELL.
  bool shell_form = true;
};

// A file written from a heredoc by COPY/ADD (`COPY <<EOF /dest`).
struct InlineFile {
  std::string name;  // the heredoc delimiter, used as the file name
  std::string data;  // body, tabs already stripped for `<<-`
  bool expand = true;
};

struct FileSources {
  std::vector<std::string> paths;    // sources that are paths, URLs, globs
  std::vector<InlineFile> contents;  // sources that are heredocs
  std::string dest;
};

struct FromInstruction {
  std::string base;      // unexpanded image reference or stage name
  std::string platform;  // unexpanded --platform, "" when absent
  std::string name;      // AS name as written, "" when absent
};

struct RunInstruction {
  CommandLine command;
  // --mount values as written. Docker checks only their CSV syntax (and that
  // `from` has no variables) when it reads the file; Expand parses them.
  std::vector<std::string> mount_specs;
  // Parsed mounts: filled by Expand, empty before.
  std::vector<Mount> mounts;
  std::string network = "default";   // default, none, host
  std::string security = "sandbox";  // sandbox, insecure
};

struct CmdInstruction {
  CommandLine command;
};

struct EntrypointInstruction {
  CommandLine command;
};

struct LabelInstruction {
  std::vector<KeyValue> labels;
};

struct MaintainerInstruction {
  std::string name;
};

struct ExposeInstruction {
  std::vector<std::string> ports;  // sorted, as Docker sorts them
};

struct EnvInstruction {
  std::vector<KeyValue> vars;
};

struct AddInstruction {
  FileSources files;
  std::string chown;
  std::string chmod;
  std::string checksum;
  bool link = false;
  bool keep_git_dir = false;
  std::optional<bool> unpack;
  std::vector<std::string> excludes;
};

struct CopyInstruction {
  FileSources files;
  std::string from;  // --from: stage name, stage index, image or context
  std::string chown;
  std::string chmod;
  bool link = false;
  bool parents = false;
  std::vector<std::string> excludes;
};

struct VolumeInstruction {
  std::vector<std::string> paths;
};

struct UserInstruction {
  std::string user;
};

struct WorkdirInstruction {
  std::string path;
};

struct ArgDefinition {
  std::string name;
  std::optional<std::string> default_value;
};

struct ArgInstruction {
  std::vector<ArgDefinition> args;
};

struct OnbuildInstruction {
  // The trigger as Docker stores it in the image config (`RUN make`, plus
  // "\n" + body + delimiter for each heredoc).
  std::string expression;
  // The trigger parsed as an instruction of the child stage; null when it
  // does not parse. Docker reports that error only when a build uses the
  // trigger, so it is kept in `trigger_error` (with file:line) until then.
  std::shared_ptr<const Instruction> trigger;
  absl::Status trigger_error;
};

struct StopsignalInstruction {
  std::string signal;
};

struct HealthcheckInstruction {
  // {"NONE"}, {"CMD", argv...} or {"CMD-SHELL", command}.
  std::vector<std::string> test;
  // Nanoseconds; 0 means "inherit the default".
  int64_t interval = 0;
  int64_t timeout = 0;
  int64_t start_period = 0;
  int64_t start_interval = 0;
  int retries = 0;
};

struct ShellInstruction {
  std::vector<std::string> shell;
};

using InstructionValue = std::variant<
    FromInstruction, RunInstruction, CmdInstruction, LabelInstruction,
    MaintainerInstruction, ExposeInstruction, EnvInstruction, AddInstruction,
    CopyInstruction, EntrypointInstruction, VolumeInstruction, UserInstruction,
    WorkdirInstruction, ArgInstruction, OnbuildInstruction,
    StopsignalInstruction, HealthcheckInstruction, ShellInstruction>;

// The typed instruction, and (inherited) how it was written: keyword, logical
// line, raw flags and arguments, exec form or not, heredoc bodies, lines.
struct Instruction : WrittenInstruction {
  InstructionValue value;

  // The upper-case keyword of the typed value ("RUN", "COPY", ...).
  absl::string_view Kind() const;

  template <typename T>
  const T* As() const {
    return std::get_if<T>(&value);
  }
  template <typename T>
  T* As() {
    return std::get_if<T>(&value);
  }
};

// The stages, images or contexts an instruction reads from: COPY --from and
// every RUN --mount from=, unexpanded, in order, without duplicates removed.
// Empty for other instructions.
std::vector<std::string> SourceReferences(const Instruction& instruction);

}  // namespace farm::dockerfile

#endif  // FARM_DOCKERFILE_INSTRUCTIONS_H_
