#include "dockerfile/expand.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "dockerfile/validate.h"

namespace farm::dockerfile {
namespace {

// BuildKit expands heredoc bodies with a fresh backslash lexer that treats
// quotes as plain text (SkipProcessQuotes): '${x}' is expanded, \$ is $.
ShellLexer::Options HeredocOptions() {
  ShellLexer::Options options;
  options.literal_quotes = true;
  return options;
}

class Expander {
 public:
  Expander(const ShellLexer& lexer, const VarLookup& lookup)
      : lexer_(lexer),
        raw_lexer_('\\', HeredocOptions()),
        lookup_(lookup) {}

  absl::Status Word(std::string* word) { return WordWith(lexer_, word); }

  // Heredoc bodies, as BuildKit's raw expansion pass.
  absl::Status Body(std::string* body) { return WordWith(raw_lexer_, body); }

  absl::Status Words(const std::string& text, std::vector<std::string>* out) {
    ASSIGN_OR_RETURN(ExpansionWords words, lexer_.ProcessWords(text, lookup_));
    Merge(words.used, words.unset);
    for (std::string& w : words.words) out->push_back(std::move(w));
    return absl::OkStatus();
  }

  absl::Status All(std::vector<std::string>* words) {
    for (std::string& w : *words) RETURN_IF_ERROR(Word(&w));
    return absl::OkStatus();
  }

  absl::Status Pairs(std::vector<KeyValue>* pairs) {
    for (KeyValue& kv : *pairs) {
      RETURN_IF_ERROR(Word(&kv.key));
      RETURN_IF_ERROR(Word(&kv.value));
    }
    return absl::OkStatus();
  }

  absl::Status Files(FileSources* files) {
    for (InlineFile& file : files->contents) {
      if (file.expand) RETURN_IF_ERROR(Body(&file.data));
    }
    RETURN_IF_ERROR(All(&files->paths));
    return Word(&files->dest);
  }

  std::set<std::string> used;
  std::set<std::string> unset;

 private:
  absl::Status WordWith(const ShellLexer& lexer, std::string* word) {
    ASSIGN_OR_RETURN(Expansion e, lexer.ProcessWord(*word, lookup_));
    Merge(e.used, e.unset);
    *word = std::move(e.word);
    return absl::OkStatus();
  }

  void Merge(const std::set<std::string>& u, const std::set<std::string>& n) {
    used.insert(u.begin(), u.end());
    unset.insert(n.begin(), n.end());
  }

  const ShellLexer& lexer_;
  ShellLexer raw_lexer_;
  const VarLookup& lookup_;
};

absl::Status ExpandValue(Expander& x, InstructionValue& value) {
  if (auto* from = std::get_if<FromInstruction>(&value)) {
    RETURN_IF_ERROR(x.Word(&from->base));
    return x.Word(&from->platform);
  }
  if (auto* run = std::get_if<RunInstruction>(&value)) {
    run->mounts.clear();
    for (const std::string& spec : run->mount_specs) {
      ASSIGN_OR_RETURN(
          Mount mount,
          ParseMount(spec,
                     [&](absl::string_view v) -> absl::StatusOr<std::string> {
                       std::string word(v);
                       RETURN_IF_ERROR(x.Word(&word));
                       return word;
                     }));
      run->mounts.push_back(std::move(mount));
    }
    return absl::OkStatus();
  }
  if (auto* env = std::get_if<EnvInstruction>(&value)) {
    return x.Pairs(&env->vars);
  }
  if (auto* label = std::get_if<LabelInstruction>(&value)) {
    return x.Pairs(&label->labels);
  }
  if (auto* expose = std::get_if<ExposeInstruction>(&value)) {
    std::vector<std::string> ports;
    for (const std::string& port : expose->ports) {
      RETURN_IF_ERROR(x.Words(port, &ports));
    }
    for (const std::string& port : ports) {
      RETURN_IF_ERROR(ValidatePortSpec(port));
    }
    expose->ports = std::move(ports);
    return absl::OkStatus();
  }
  if (auto* add = std::get_if<AddInstruction>(&value)) {
    RETURN_IF_ERROR(x.Word(&add->chown));
    RETURN_IF_ERROR(x.Word(&add->chmod));
    RETURN_IF_ERROR(x.Word(&add->checksum));
    RETURN_IF_ERROR(x.All(&add->excludes));
    return x.Files(&add->files);
  }
  if (auto* copy = std::get_if<CopyInstruction>(&value)) {
    RETURN_IF_ERROR(x.Word(&copy->chown));
    RETURN_IF_ERROR(x.Word(&copy->chmod));
    RETURN_IF_ERROR(x.All(&copy->excludes));
    return x.Files(&copy->files);
  }
  if (auto* volume = std::get_if<VolumeInstruction>(&value)) {
    return x.All(&volume->paths);
  }
  if (auto* user = std::get_if<UserInstruction>(&value)) {
    return x.Word(&user->user);
  }
  if (auto* workdir = std::get_if<WorkdirInstruction>(&value)) {
    return x.Word(&workdir->path);
  }
  if (auto* arg = std::get_if<ArgInstruction>(&value)) {
    for (ArgDefinition& def : arg->args) {
      RETURN_IF_ERROR(x.Word(&def.name));
      if (def.default_value) RETURN_IF_ERROR(x.Word(&*def.default_value));
    }
    return absl::OkStatus();
  }
  if (auto* stop = std::get_if<StopsignalInstruction>(&value)) {
    RETURN_IF_ERROR(x.Word(&stop->signal));
    return ValidateStopSignal(stop->signal);
  }
  // RUN/CMD/ENTRYPOINT/SHELL/HEALTHCHECK commands belong to the shell,
  // ONBUILD to the child build, MAINTAINER is literal.
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ExpandedInstruction> Expand(const Instruction& instruction,
                                           const ShellLexer& lexer,
                                           const VarLookup& lookup,
                                           absl::string_view filename) {
  Expander expander(lexer, lookup);
  ExpandedInstruction out;
  out.instruction = instruction;
  absl::Status status = ExpandValue(expander, out.instruction.value);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        filename, ":", instruction.start_line, ": ", status.message()));
  }
  out.used = std::move(expander.used);
  out.unset = std::move(expander.unset);
  return out;
}

}  // namespace farm::dockerfile
