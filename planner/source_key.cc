#include "planner/source_key.h"

#include "absl/strings/str_cat.h"

namespace farm::planner {

std::string SourceKey(const proto::StageRef& ref) {
  return ref.stage_index() >= 0 ? absl::StrCat("stage ", ref.stage_index())
                                : absl::StrCat("image ", ref.image());
}

}  // namespace farm::planner
