#include "planner/stage_refs.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace farm::planner {

namespace {
bool IsDecimal(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}
}  // namespace

std::optional<int> StageRefs::FindBase(absl::string_view name,
                                       int stage_index) const {
  // Docker registers stage names as it reads FROM lines, so only earlier
  // stages can be a base; a later stage of that name does not count.
  for (int i = stage_index - 1; i >= 0; --i) {
    const dockerfile::Stage& stage = dockerfile_.stages[i];
    if (!stage.name.empty() && absl::EqualsIgnoreCase(stage.name, name)) {
      return i;
    }
  }
  return std::nullopt;
}

absl::StatusOr<proto::StageRef> StageRefs::FindSource(absl::string_view ref,
                                                      int line) const {
  proto::StageRef out;
  out.set_line(line);
  if (IsDecimal(ref)) {
    int index = 0;
    int count = static_cast<int>(dockerfile_.stages.size());
    if (!absl::SimpleAtoi(ref, &index) || index >= count) {
      return absl::InvalidArgumentError(absl::StrCat(
          dockerfile_.filename, ":", line, ": invalid stage index ", ref,
          ": the Dockerfile has ", count, count == 1 ? " stage" : " stages"));
    }
    out.set_stage_index(index);
    return out;
  }
  for (const dockerfile::Stage& stage : dockerfile_.stages) {
    if (!stage.name.empty() && absl::EqualsIgnoreCase(stage.name, ref)) {
      out.set_stage_index(stage.index);
      return out;
    }
  }
  absl::StatusOr<dockerfile::Expansion> image =
      lexer_.ProcessWord(ref, globals_.AsLookup());
  if (!image.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        dockerfile_.filename, ":", line, ": ", image.status().message()));
  }
  out.set_stage_index(-1);
  out.set_image(image->word);
  return out;
}

}  // namespace farm::planner
