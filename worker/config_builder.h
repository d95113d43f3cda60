// ConfigBuilder: the image config and history of one stage, changed
// instruction by instruction exactly as BuildKit's Dockerfile frontend in
// Docker 20.10 changes them (tests/compat is the reference): Env order,
// ENTRYPOINT resetting an inherited Cmd, ArgsEscaped, WORKDIR relative to
// the current WorkingDir, history created_by texts in Go's print formats,
// ONBUILD without history, scratch's defaults. Pure: it runs nothing.
#ifndef FARM_WORKER_CONFIG_BUILDER_H_
#define FARM_WORKER_CONFIG_BUILDER_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/digest.h"
#include "dockerfile/instructions.h"
#include "image/oci/config.h"
#include "planner/build_args.h"
#include "worker/build_vars.h"

namespace farm::worker {

// BuildKit's comment on every history entry it writes.
inline constexpr char kHistoryComment[] = "buildkit.dockerfile.v0";

struct ConfigBuilderOptions {
  // The target platform: architecture, os and variant of a scratch image.
  planner::Platform platform{"linux", "amd64", ""};
  // --build-arg values.
  std::map<std::string, std::string> build_args;
  // Global ARG values after overrides, and the platform ARGs.
  std::map<std::string, std::string> meta_args;
};

// What one instruction leaves in the image, known before it runs.
struct StepRecord {
  std::string created_by;      // the history entry's text
  bool writes_history = true;  // ONBUILD writes none
  // RUN, COPY, ADD and WORKDIR (but `WORKDIR /`) add a layer, even an
  // empty one; the others change only the config.
  bool makes_layer = false;
};

class ConfigBuilder {
 public:
  // Starts from the base's config JSON, or from scratch (nullopt): Env
  // holds PATH, WorkingDir is "/", architecture and os come from the
  // platform. A base without PATH gets Docker's; inherited OnBuild triggers
  // are cleared (the planner already put them before the stage's own
  // instructions). kInvalidArgument for a malformed base config.
  static absl::StatusOr<ConfigBuilder> Start(
      const std::optional<std::string>& base_config,
      ConfigBuilderOptions options);

  // Applies the config part of an expanded instruction (FROM excluded) and
  // describes its history entry. For WORKDIR the new WorkingDir is set
  // before the directory is made, as the runner needs it. kInvalidArgument
  // for FROM or a malformed EXPOSE port.
  absl::StatusOr<StepRecord> Apply(const dockerfile::Instruction& instruction);

  // Records a finished instruction: its history entry (when it writes one),
  // the layer's diff_id when it made one, and `created` as the image's and
  // the entry's creation time.
  void Record(const StepRecord& step, const std::optional<Digest>& diff_id,
              absl::Time created);

  // Takes the config a cached result of the last applied instruction holds,
  // in place of the one Record would have made. kInvalidArgument if it does
  // not parse.
  absl::Status Restore(absl::string_view config_json);

  // What the next RUN sees: its environment, user, working directory
  // ("/" when unset) and shell for the shell form.
  std::vector<std::string> RunEnvironment() const {
    return vars_.Environment();
  }
  const std::string& user() const { return config_.config.user; }
  std::string working_dir() const;
  std::vector<std::string> shell() const;

  const image::oci::ImageConfig& config() const { return config_; }
  std::string ToJson() const { return config_.ToJson(); }

 private:
  explicit ConfigBuilder(const ConfigBuilderOptions& options)
      : vars_(options.build_args, options.meta_args) {}

  // The config changes and history text of the metadata instructions.
  absl::StatusOr<std::string> ApplyMetadata(
      const dockerfile::Instruction& instruction);
  std::string ApplyWorkdir(const std::string& path);
  void SetEnv(const std::string& key, const std::string& value);

  image::oci::ImageConfig config_;
  BuildVars vars_;
  // A CMD was set in this stage (not inherited): ENTRYPOINT keeps it.
  bool cmd_set_ = false;
};

// The argv of a RUN: the exec form as written, or the shell form through
// `shell`. A RUN whose command is just a heredoc runs the heredoc's body
// through the shell; other heredocs are appended to the command for the
// shell to read, as BuildKit does.
std::vector<std::string> RunArgv(const dockerfile::Instruction& run,
                                 const std::vector<std::string>& shell);

// The ports of one EXPOSE word, as Docker's nat.ParsePortSpecs reads it:
// "80" → {"80/tcp"}, "8080-8081/udp" → {"8080/udp", "8081/udp"}, an
// "ip:host:" prefix ignored. kInvalidArgument for a malformed word.
absl::StatusOr<std::vector<std::string>> ExposedPorts(absl::string_view word);

}  // namespace farm::worker

#endif  // FARM_WORKER_CONFIG_BUILDER_H_
