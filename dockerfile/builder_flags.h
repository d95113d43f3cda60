// Instruction flags (`COPY --from=build --link`): pulling them off the front
// of an instruction's arguments, and checking them against the flags each
// instruction accepts, with Docker's error messages.
#ifndef FARM_DOCKERFILE_BUILDER_FLAGS_H_
#define FARM_DOCKERFILE_BUILDER_FLAGS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace farm::dockerfile {

// Splits the leading `--flag[=value]` words off `args`. Quotes and backslash
// escapes inside a flag word are resolved; a bare `--` ends the flags. The
// remaining text (not trimmed) is returned and the flag words appended to
// `flags`.
std::string ExtractBuilderFlags(absl::string_view args,
                                std::vector<std::string>* flags);

// The flags one instruction accepts, and their parsed values (BuildKit's
// BFlags). Declare every flag, then call Parse once.
class FlagSet {
 public:
  explicit FlagSet(std::vector<std::string> args) : args_(std::move(args)) {}

  void AddBool(const std::string& name);
  void AddString(const std::string& name, std::string default_value = "");
  void AddStrings(const std::string& name);

  // kInvalidArgument (message without location) for an unknown flag, a
  // repeated single-valued flag, a missing value or a bad boolean.
  absl::Status Parse();

  bool Bool(const std::string& name) const;
  const std::string& String(const std::string& name) const;
  const std::vector<std::string>& Strings(const std::string& name) const;
  bool Used(const std::string& name) const;

 private:
  enum class Type { kBool, kString, kStrings };
  struct Flag {
    Type type;
    std::string value;
    std::vector<std::string> values;
    bool used = false;
  };

  std::vector<std::string> args_;
  std::map<std::string, Flag> flags_;
};

}  // namespace farm::dockerfile

#endif  // FARM_DOCKERFILE_BUILDER_FLAGS_H_
