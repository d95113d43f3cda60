// RUN --mount: the CSV field list (`type=cache,target=/root/.cache,id=x`) and
// its validation, with BuildKit's defaults and error messages.
#ifndef FARM_DOCKERFILE_MOUNT_H_
#define FARM_DOCKERFILE_MOUNT_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace farm::dockerfile {

struct Mount {
  std::string type = "bind";  // bind, cache, tmpfs, secret, ssh
  std::string from;           // stage, image or context; "" = build context
  std::string source;
  std::string target;
  bool read_only = true;   // default: true for bind/secret/ssh, false otherwise
  int64_t size_limit = 0;  // tmpfs `size`, bytes; 0 = unset
  std::string id;          // cache id / secret id / ssh id
  std::string sharing;     // cache: shared (default), private, locked
  bool required = false;   // secret/ssh
  std::optional<std::string> env;  // secret exposed as an environment variable
  std::optional<uint32_t> mode;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;

  bool operator==(const Mount& o) const;
};

// The id of a type=secret (or ssh) mount as BuildKit reads it: `id`, else
// `source`, else the base name of `target`.
std::string SecretId(const Mount& mount);

// Expands one field value. Returns kInvalidArgument on a bad expansion.
using WordExpander =
    std::function<absl::StatusOr<std::string>(absl::string_view word)>;

// Splits a --mount value into its CSV fields (Go encoding/csv rules: quoted
// fields, "" inside quotes). kInvalidArgument for a bare quote.
absl::StatusOr<std::vector<std::string>> SplitMountFields(
    absl::string_view value);

// The checks Docker makes when it reads the Dockerfile: the value is valid
// CSV, and `from` holds no variable (BuildKit defers everything else).
absl::Status CheckMountSyntax(absl::string_view value);

// Parses and validates one --mount value, expanding every field value with
// `expand` first (as BuildKit does when it runs the instruction).
absl::StatusOr<Mount> ParseMount(absl::string_view value,
                                 const WordExpander& expand);

// The `from=` value of a --mount, without expansion; "" when absent.
std::string MountFrom(absl::string_view value);

// Canonical text of a parsed mount: fields in a fixed order, defaults
// omitted, values quoted as CSV where needed
// (e.g. "type=cache,target=/root/.cache,sharing=locked").
std::string FormatMount(const Mount& mount);

// go-units RAMInBytes ("64m", "1.5g", "1024"), binary multiples.
std::optional<int64_t> ParseRamInBytes(absl::string_view s);

}  // namespace farm::dockerfile

#endif  // FARM_DOCKERFILE_MOUNT_H_
