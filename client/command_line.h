// CommandLine: docker-style argument parsing for farm's subcommands:
// `--flag value`, `--flag=value`, `-t value`, repeated flags, boolean flags,
// and positional arguments, with "--" ending the flags.
#ifndef FARM_CLIENT_COMMAND_LINE_H_
#define FARM_CLIENT_COMMAND_LINE_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace farm::client {

// What a subcommand accepts. Names are given without dashes; a one-letter
// alias maps to its long name (e.g. {"t", "tag"}).
struct FlagSpec {
  std::set<std::string> with_value;
  std::set<std::string> boolean;
  std::map<std::string, std::string> aliases;
  // Stop reading flags at the first positional argument (for `farm run
  // IMAGE CMD --flag`, where later flags belong to the command).
  bool stop_at_positional = false;
};

class CommandLine {
 public:
  // kInvalidArgument naming the flag for unknown flags and missing values.
  static absl::StatusOr<CommandLine> Parse(const std::vector<std::string>& args,
                                           const FlagSpec& spec);

  bool Has(absl::string_view name) const;
  // The last value given for `name`, or `fallback`.
  std::string Get(absl::string_view name,
                  absl::string_view fallback = "") const;
  // Every value given for a repeatable flag, in order.
  std::vector<std::string> GetAll(absl::string_view name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
  std::vector<std::string> positional_;
};

}  // namespace farm::client

#endif  // FARM_CLIENT_COMMAND_LINE_H_
