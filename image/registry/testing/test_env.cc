#include "image/registry/testing/test_env.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace farm::image::registry::testing {

absl::StatusOr<std::string> Skopeo(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"skopeo", "--insecure-policy"};
  argv.insert(argv.end(), args.begin(), args.end());
  ASSIGN_OR_RETURN(CommandResult r, RunCommand(argv));
  if (r.exit_code != 0) {
    return absl::InternalError(
        absl::StrCat(absl::StrJoin(argv, " "), " failed: ", r.err));
  }
  return r.out;
}

}  // namespace farm::image::registry::testing
