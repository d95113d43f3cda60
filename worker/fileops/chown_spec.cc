#include "worker/fileops/chown_spec.h"

#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace farm::fileops {
namespace {

struct Part {
  bool numeric = false;
  uint32_t id = 0;
  std::string name;
};

// BuildKit's parseUID: "root" is 0, a decimal number is an id, anything else
// a name.
absl::StatusOr<Part> ParsePart(absl::string_view text, absl::string_view spec) {
  Part part;
  if (text == "root") {
    part.numeric = true;
    return part;
  }
  int64_t n;
  if (absl::SimpleAtoi(text, &n)) {
    if (n < 0 || n > INT32_MAX) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid --chown=", spec, ": id ", text,
                       " is outside 0..2147483647"));
    }
    part.numeric = true;
    part.id = static_cast<uint32_t>(n);
    return part;
  }
  part.name = std::string(text);
  return part;
}

// The numeric columns `fields` of the first line of an
// /etc/passwd or /etc/group style file whose first field is `name`.
std::optional<std::vector<uint32_t>> Lookup(const std::string& file,
                                            const std::string& name,
                                            std::vector<int> fields) {
  for (absl::string_view line : absl::StrSplit(file, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    std::vector<absl::string_view> cols = absl::StrSplit(line, ':');
    if (cols[0] != name) continue;
    std::vector<uint32_t> out;
    for (int f : fields) {
      uint32_t v = 0;
      // As runc's parser: a missing or malformed number reads as 0.
      if (f >= static_cast<int>(cols.size()) ||
          !absl::SimpleAtoi(cols[f], &v)) {
        v = 0;
      }
      out.push_back(v);
    }
    return out;
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<Owner> ResolveChownFromFiles(
    absl::string_view spec, const std::optional<std::string>& passwd,
    const std::optional<std::string>& group) {
  if (spec.empty()) return absl::InvalidArgumentError("empty --chown value");
  std::pair<absl::string_view, absl::string_view> split =
      absl::StrSplit(spec, absl::MaxSplits(':', 1));
  bool has_group = spec.find(':') != absl::string_view::npos;
  ASSIGN_OR_RETURN(Part user, ParsePart(split.first, spec));
  Owner owner;
  if (user.numeric) {
    owner = {user.id, user.id};
  } else if (passwd.has_value()) {
    std::optional<std::vector<uint32_t>> ids =
        Lookup(*passwd, user.name, {2, 3});
    if (ids.has_value()) owner = {(*ids)[0], (*ids)[1]};
  }
  if (has_group) {
    ASSIGN_OR_RETURN(Part g, ParsePart(split.second, spec));
    if (g.numeric) {
      owner.gid = g.id;
    } else if (group.has_value()) {
      std::optional<std::vector<uint32_t>> ids = Lookup(*group, g.name, {2});
      if (ids.has_value()) owner.gid = (*ids)[0];
    }
  }
  return owner;
}

absl::StatusOr<Owner> ResolveChown(const RootFs& root, absl::string_view spec) {
  std::optional<std::string> passwd, group;
  bool names = false;
  for (absl::string_view part : absl::StrSplit(spec, absl::MaxSplits(':', 1))) {
    int64_t n;
    if (part != "root" && !absl::SimpleAtoi(part, &n)) names = true;
  }
  if (names) {
    ASSIGN_OR_RETURN(passwd, root.ReadFile("/etc/passwd"));
    ASSIGN_OR_RETURN(group, root.ReadFile("/etc/group"));
  }
  return ResolveChownFromFiles(spec, passwd, group);
}

}  // namespace farm::fileops
